import { Component, type ReactNode } from 'react';
import { ErrorState } from './states.js';

interface State {
  error: Error | null;
}

/** One page failing to render must not blank the whole console (and the navigation with it). */
export class PageBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override render() {
    if (this.state.error)
      return (
        <ErrorState
          message={`This page failed to display (${this.state.error.message}). Other pages still work.`}
          onRetry={() => this.setState({ error: null })}
        />
      );
    return this.props.children;
  }
}
