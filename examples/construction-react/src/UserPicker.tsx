import { USER_NAMES, urlForUser, type UserName } from './devSignIn'

/** Dev only: "signs in" as another demo user by reloading with `?user=` (tokens the local stack signed). */
export function UserPicker({ user }: { user: UserName }) {
  return (
    <label className="user-picker" title="Dev only: the launcher signs a token per demo user">
      <span className="user-picker-label">Signed in as</span>
      <select data-testid="user" value={user} onChange={(event) => location.assign(urlForUser(event.target.value as UserName))}>
        {USER_NAMES.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </label>
  )
}
