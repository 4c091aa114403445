import { Component, inject, signal } from '@angular/core';
import { Recorder } from '@reprise/angular';
import { DEFAULT_PLAN, PLANS, SIGN_UP_FIELDS, signedUpProperties } from '../../../../shared/app';

@Component({
  selector: 'app-sign-up',
  template: `
    @if (done()) {
      <p role="status">Thanks for signing up! Check your inbox.</p>
    } @else {
      <section>
        <h1>Sign up</h1>
        <form class="form" (submit)="onSubmit($event)">
          @for (field of fields; track field.name) {
            <label
              >{{ field.label }}
              <input
                [attr.name]="field.name"
                [attr.type]="field.type"
                [attr.inputmode]="field.inputmode"
                [attr.autocomplete]="field.autocomplete"
                required
            /></label>
          }
          <label>
            Plan
            <select name="plan">
              @for (plan of plans; track plan.value) {
                <option [value]="plan.value" [selected]="plan.value === defaultPlan">{{ plan.label }}</option>
              }
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
  protected readonly fields = SIGN_UP_FIELDS;
  protected readonly plans = PLANS;
  protected readonly defaultPlan = DEFAULT_PLAN;

  protected onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.recorder.track('signed-up', signedUpProperties(event.target as HTMLFormElement));
    this.done.set(true);
  }
}
