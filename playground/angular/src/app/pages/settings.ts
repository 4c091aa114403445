import { Component } from '@angular/core';
import { RepriseBlock, RepriseMask } from '@reprise/angular';

@Component({
  selector: 'app-settings',
  imports: [RepriseMask, RepriseBlock],
  template: `
    <section>
      <h1>Settings</h1>
      <p>Your plan: Team, billed monthly.</p>
      <div class="panel" id="masked-panel" repriseMask>
        <h2>API credentials</h2>
        <p>Live key: rk_live_5up3r53cr3tK3y</p>
        <p>Recovery phrase: velvet orbit lantern</p>
      </div>
      <div class="panel" id="blocked-panel" repriseBlock>Internal notes the recording never shows.</div>
    </section>
  `,
})
export class Settings {}
