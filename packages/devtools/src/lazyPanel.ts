/**
 * What the React and Vue wrappers load with a dynamic import, once they mount: the panel and the check of their
 * props. The wrappers import nothing else from this package at run time, so a production build, which drops their
 * live branch, keeps no code of the panel, of its options or of @supasync/core. (Internal entry: `dist/panel.*`.)
 */
export { mountDevtools } from './mountDevtools.js'
export { pickSource } from './wrappers/pickSource.js'
