import { Component, inject, signal } from '@angular/core';
import { Recorder } from '@reprise/angular';
import { signedUpProperties } from '../../../../shared/app';

@Component({
  selector: 'app-sign-up',
  template: `
    @if (done()) {
      <p role="status">Thanks for signing up! Check your inbox.</p>
    } @else {
      <section>
        <h1>Sign up</h1>
        <form class="form" (submit)="onSubmit($event)">
          <label>Name <input name="name" autocomplete="name" required /></label>
          <label>E-mail <input name="email" type="email" autocomplete="email" required /></label>
          <label>Password <input name="password" type="password" autocomplete="new-password" required /></label>
          <label>Card number <input name="card" inputmode="numeric" autocomplete="cc-number" required /></label>
          <label>
            Plan
            <select name="plan">
              <option value="solo">Solo</option>
              <option value="team" selected>Team</option>
            </select>
          </label>
          <button type="submit">Create account</button>
        </form>
      </section>
    }
  `,
})
export class SignUp {
  private readonly recorder = inject(Recorder);
  protected readonly done = signal(false);

  protected onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.recorder.track('signed-up', signedUpProperties(event.target as HTMLFormElement));
    this.done.set(true);
  }
}
