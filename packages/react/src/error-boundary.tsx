import { Component, type ErrorInfo, type ReactNode } from 'react';
import type { Recorder } from '@reprise/core';
import { RecorderContext } from './context.js';

export interface FallbackProps {
  error: unknown;
  /** Clear the error and render the children again. */
  reset: () => void;
}

export interface RecorderErrorBoundaryProps {
  /** Rendered instead of the children after an error. */
  fallback: ReactNode | ((props: FallbackProps) => ReactNode);
  /** Called after the error was recorded, e.g. to report it elsewhere too. */
  onError?: (error: unknown, info: ErrorInfo) => void;
  children?: ReactNode;
}

interface State {
  error: unknown;
  hasError: boolean;
}

/**
 * An error boundary that records what it catches, with React's component stack, as a Reprise
 * error event, then renders `fallback`.
 */
export class RecorderErrorBoundary extends Component<RecorderErrorBoundaryProps, State> {
  static override contextType = RecorderContext;
  declare context: Recorder | null;
  override state: State = { error: null, hasError: false };

  static getDerivedStateFromError(error: unknown): State {
    return { error, hasError: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    if (this.context) {
      this.context.captureError(error, { componentStack: info.componentStack ?? undefined, framework: 'react' });
    } else if (process.env.NODE_ENV !== 'production') {
      console.warn(
        '[@reprise/react] <RecorderErrorBoundary> caught an error but has no <RecorderProvider> above it, so it was not recorded.',
      );
    }
    this.props.onError?.(error, info);
  }

  reset = (): void => this.setState({ error: null, hasError: false });

  override render(): ReactNode {
    if (!this.state.hasError) return this.props.children;
    const { fallback } = this.props;
    return typeof fallback === 'function' ? fallback({ error: this.state.error, reset: this.reset }) : fallback;
  }
}

/**
 * For React 19's root error options, so errors caught by the app's own boundaries (and uncaught
 * ones) are recorded with their component stack:
 * `createRoot(el, { onCaughtError: reactErrorHandler(recorder), onUncaughtError: reactErrorHandler(recorder) })`.
 */
export function reactErrorHandler(
  recorder: Recorder,
  next?: (error: unknown, info: { componentStack?: string }) => void,
) {
  return (error: unknown, info: { componentStack?: string }): void => {
    recorder.captureError(error, { componentStack: info.componentStack, framework: 'react' });
    next?.(error, info);
  };
}
