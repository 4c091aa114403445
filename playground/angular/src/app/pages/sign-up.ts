import { Component, inject, signal } from '@angular/core';
import { Recorder } from '@reprise/angular';
import { SIGN_UP_FIELDS, signedUpProperties } from '../../../../shared/app';

@Component({
  selector: 'app-sign-up',
  templateUrl: './sign-up.html',
})
export class SignUp {
  private readonly recorder = inject(Recorder);
  protected readonly done = signal(false);
  protected readonly fields = SIGN_UP_FIELDS;

  protected onSubmit(event: SubmitEvent): void {
    event.preventDefault();
    this.recorder.track('signed-up', signedUpProperties(event.target as HTMLFormElement));
    this.done.set(true);
  }
}
