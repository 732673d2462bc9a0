export function SearchBox({ value, onChange, matches, total }: { value: string; onChange: (value: string) => void; matches: number; total: number }) {
  return (
    <div className="search">
      <input
        data-testid="search"
        type="search"
        inputMode="search"
        autoComplete="off"
        spellCheck={false}
        placeholder="Find a tag, e.g. P-3004"
        aria-label="Find a component by tag"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
      <span className="search-count" aria-live="polite">
        {value ? `${matches.toLocaleString()} of ${total.toLocaleString()}` : `${total.toLocaleString()} components`}
      </span>
    </div>
  )
}
