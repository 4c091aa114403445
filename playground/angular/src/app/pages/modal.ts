import { Component, input, output } from '@angular/core';

@Component({
  selector: 'app-modal',
  host: { '(window:keydown.escape)': 'closed.emit()' },
  templateUrl: './modal.html',
})
export class Modal {
  readonly title = input.required<string>();
  readonly closed = output();
}
