/**
 * The panel's stylesheet, placed inside its shadow root: nothing leaks into the page and the page's CSS does not
 * reach in (`:host { all: initial }` also stops inherited fonts and colours). Colours are CSS variables on the host,
 * so an app can retheme the panel from outside: `[data-supasync-devtools] { --ssd-bad: crimson }`.
 */
export const PANEL_CSS = `
:host {
  all: initial;
  --ssd-bg: #14161a;
  --ssd-bg-raised: #1d2026;
  --ssd-fg: #e6e8eb;
  --ssd-muted: #9aa1ab;
  --ssd-line: #2e323a;
  --ssd-good: #3fb950;
  --ssd-busy: #58a6ff;
  --ssd-warn: #d29922;
  --ssd-bad: #f85149;
  --ssd-font: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
.ssd { font: 12px/1.4 var(--ssd-font); color: var(--ssd-fg); z-index: 2147483000; }
.ssd.pos-bottom-right, .ssd.pos-bottom-left, .ssd.pos-top-right, .ssd.pos-top-left { position: fixed; }
.pos-bottom-right { right: 12px; bottom: 12px; }
.pos-bottom-left { left: 12px; bottom: 12px; }
.pos-top-right { right: 12px; top: 12px; }
.pos-top-left { left: 12px; top: 12px; }
button { font: inherit; color: inherit; cursor: pointer; }
button:disabled { cursor: default; opacity: .5; }
button:focus-visible { outline: 2px solid var(--ssd-busy); outline-offset: 1px; }
.toggle { display: inline-flex; align-items: center; gap: 6px; padding: 6px 10px; border-radius: 16px;
  border: 1px solid var(--ssd-line); background: var(--ssd-bg); box-shadow: 0 2px 8px rgba(0,0,0,.35); }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--ssd-muted); display: inline-block; }
.dot-good { background: var(--ssd-good); } .dot-busy { background: var(--ssd-busy); }
.dot-warn { background: var(--ssd-warn); } .dot-bad { background: var(--ssd-bad); }
.panel { width: min(760px, calc(100vw - 24px)); height: min(460px, calc(100vh - 24px)); display: flex; flex-direction: column;
  background: var(--ssd-bg); border: 1px solid var(--ssd-line); border-radius: 8px; box-shadow: 0 4px 24px rgba(0,0,0,.45); overflow: hidden; }
.pos-inline .panel { width: auto; height: 460px; box-shadow: none; }
header { display: flex; align-items: center; gap: 8px; padding: 6px 10px; border-bottom: 1px solid var(--ssd-line); }
header .title { font-weight: 600; flex: 1; }
.close { background: none; border: 0; font-size: 16px; line-height: 1; padding: 2px 6px; }
[role="tablist"] { display: flex; gap: 2px; padding: 0 6px; border-bottom: 1px solid var(--ssd-line); background: var(--ssd-bg-raised); }
[role="tab"] { background: none; border: 0; border-bottom: 2px solid transparent; padding: 6px 8px; color: var(--ssd-muted); }
[role="tab"][aria-selected="true"] { color: var(--ssd-fg); border-bottom-color: var(--ssd-busy); }
.count { margin-left: 4px; padding: 0 5px; border-radius: 8px; background: var(--ssd-line); color: var(--ssd-fg); }
.count-warn { background: var(--ssd-warn); color: #000; } .count-bad, .count-over { background: var(--ssd-bad); color: #000; }
.body { flex: 1; overflow: auto; padding: 8px 10px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 8px; }
.facts dt { color: var(--ssd-muted); } .facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; margin-bottom: 8px; }
th { text-align: left; color: var(--ssd-muted); font-weight: normal; border-bottom: 1px solid var(--ssd-line); padding: 3px 6px; }
td { vertical-align: top; border-bottom: 1px solid var(--ssd-line); padding: 4px 6px; }
ul { margin: 0; padding-left: 14px; }
h3 { font-size: 13px; margin: 8px 0 4px; } h4 { font-size: 12px; color: var(--ssd-muted); margin: 8px 0 4px; }
.strong { font-weight: 600; } .sub { color: var(--ssd-muted); } .empty { color: var(--ssd-muted); font-style: italic; }
.error { color: var(--ssd-bad); } .text-warn { color: var(--ssd-warn); }
.pill { display: inline-block; padding: 0 6px; border-radius: 8px; border: 1px solid currentColor; }
.pill-good { color: var(--ssd-good); } .pill-busy { color: var(--ssd-busy); } .pill-warn { color: var(--ssd-warn); }
.pill-bad { color: var(--ssd-bad); } .pill-muted { color: var(--ssd-muted); }
.meter { height: 6px; background: var(--ssd-line); border-radius: 3px; overflow: hidden; width: 120px; margin: 3px 0; }
.meter-bar { height: 100%; background: var(--ssd-good); }
.staleness-warn { color: var(--ssd-warn); } .staleness-warn .meter-bar { background: var(--ssd-warn); }
.staleness-over { color: var(--ssd-bad); font-weight: 600; } .staleness-over .meter-bar { background: var(--ssd-bad); }
.dead-letters { list-style: none; padding: 0; }
.dead-letter { border: 1px solid var(--ssd-line); border-left: 3px solid var(--ssd-bad); border-radius: 4px; padding: 6px 8px; margin-bottom: 6px; }
.actions { margin-top: 4px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.action { background: var(--ssd-bg-raised); border: 1px solid var(--ssd-line); border-radius: 4px; padding: 2px 8px; }
.action-discard, .action-confirm-discard { border-color: var(--ssd-bad); }
.source-error { color: var(--ssd-bad); }
`
