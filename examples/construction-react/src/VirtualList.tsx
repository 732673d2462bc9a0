import { useRef, type ReactNode } from 'react'
import { useVirtualizer } from '@tanstack/react-virtual'

/**
 * A scrolling list that renders only the rows in view (@tanstack/react-virtual): 100,000 rows cost what 20 do.
 * Rows have a fixed height and are keyed by position (rows hold no state of their own). It takes a count and a
 * render function rather than the array: a new 100,000-item array on every live change would make the virtualizer
 * re-key every item, and React's development build diff it as a prop.
 */
export function VirtualList({ count, rowHeight, renderRow, className, label }: { count: number; rowHeight: number; renderRow: (index: number) => ReactNode; className?: string; label: string }) {
  const scroller = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
  })
  return (
    <div ref={scroller} className={`virtual-list ${className ?? ''}`} role="list" aria-label={label}>
      <div className="virtual-list-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((virtual) => (
          <div key={virtual.key} role="listitem" className="virtual-list-item" style={{ height: virtual.size, transform: `translateY(${virtual.start}px)` }}>
            {renderRow(virtual.index)}
          </div>
        ))}
      </div>
    </div>
  )
}
