import type { ReactNode } from 'react'
import { UserPicker } from './UserPicker'
import type { UserName } from './devSignIn'

export function Header({ title, subtitle, user, children }: { title: string; subtitle?: string; user: UserName; children?: ReactNode }) {
  return (
    <header className="header">
      <div className="header-title">
        <a className="header-home" href={`/?user=${user}`} aria-label="All projects">
          ◧
        </a>
        <div>
          <h1>{title}</h1>
          {subtitle && <p className="header-subtitle">{subtitle}</p>}
        </div>
      </div>
      <div className="header-side">
        {children}
        <UserPicker user={user} />
      </div>
    </header>
  )
}
