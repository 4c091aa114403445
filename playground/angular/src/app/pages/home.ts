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
  templateUrl: './home.html',
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
