import { useState } from 'react';

function Crash(): never {
  throw new Error('The crash button broke this component');
}

export function Home() {
  const [crashed, setCrashed] = useState(false);
  return (
    <section>
      <h1>Welcome to the Reprise playground</h1>
      <p>Every click, page and request here is recorded and sent to the local collector.</p>
      <div className="row">
        <button
          type="button"
          id="throw"
          onClick={() => {
            // An uncaught error in an event handler: the core records it as an error event.
            throw new Error('The throw button threw');
          }}
        >
          Throw an error
        </button>
        <button type="button" id="crash" onClick={() => setCrashed(true)}>
          Crash a component
        </button>
      </div>
      {crashed && <Crash />}
    </section>
  );
}
