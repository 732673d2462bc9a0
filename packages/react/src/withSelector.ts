// The package is CommonJS: a default import then a property read works in Node's ESM, CJS and every bundler alike
// (a named import depends on Node detecting the export).
import withSelector from 'use-sync-external-store/with-selector'

/** React's own useSyncExternalStore with a selector and an equality check (the `use-sync-external-store` package). */
export const useSyncExternalStoreWithSelector = withSelector.useSyncExternalStoreWithSelector
