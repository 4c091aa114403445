import { Component, signal } from '@angular/core';

@Component({ selector: 'app-crash', template: `` })
export class Crash {
  constructor() {
    throw new Error('The crash button broke this component');
  }
}

@Component({
  selector: 'app-home',
  imports: [Crash],
  template: `
    <section>
      <h1>Welcome to the Reprise playground</h1>
      <p>Every click, page and request here is recorded and sent to the local collector.</p>
      <div class="row">
        <button type="button" id="throw" (click)="throwUncaught()">Throw an error</button>
        <button type="button" id="crash" (click)="crashed.set(true)">Crash a component</button>
      </div>
      @if (crashed()) {
        <app-crash />
      }
    </section>
  `,
})
export class Home {
  protected readonly crashed = signal(false);

  protected throwUncaught(): void {
    // Thrown from a timer, past Angular's handlers: an uncaught error, which the core records by
    // itself. The crash button's error is caught by Angular and goes to the ErrorHandler instead.
    setTimeout(() => {
      throw new Error('The throw button threw');
    });
  }
}
