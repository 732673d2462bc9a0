/** The instrumentation scope of the default meter: this package, at this version (a test keeps it equal to package.json). */
export const SCOPE_NAME = '@supasync/otel'
export const SCOPE_VERSION = '0.1.0'
