// Single-file components are compiled by @vitejs/plugin-vue, not by tsc: to the root `tsc` (which checks this
// example's .ts files) an imported .vue file is just a component.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
