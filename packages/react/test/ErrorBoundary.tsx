import { Component, type ReactNode } from 'react'

/** Shows the caught error's message. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined }

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  override render() {
    return this.state.error ? <span>error: {this.state.error.message}</span> : this.props.children
  }
}
