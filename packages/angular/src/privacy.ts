import { Directive, Input, booleanAttribute } from '@angular/core';

// The attribute names are the core's MASK_ATTRIBUTE, BLOCK_ATTRIBUTE and UNMASK_ATTRIBUTE, written
// out because Angular's compiler needs host bindings it can read statically (a test checks them).
// Each attribute is also static on the host, so it is on the element from its creation: the input
// binding is applied later, in the first change detection, and an element added to the page
// before then (a component created outside change detection) would be recorded unmasked. Not
// repriseUnmask: there the early state must be the masked one, so it waits for its input.

/**
 * Masks the text of this element's subtree in recordings: `<div repriseMask>`, or
 * `[repriseMask]="hidden"` to follow a condition (false removes the attribute).
 */
@Directive({
  selector: '[repriseMask]',
  host: { 'data-reprise-mask': '', '[attr.data-reprise-mask]': 'enabled ? "" : null' },
})
export class RepriseMask {
  @Input({ alias: 'repriseMask', transform: booleanAttribute }) enabled = true;
}

/** Replaces this element's subtree by a same-size placeholder in recordings: `<canvas repriseBlock>`. */
@Directive({
  selector: '[repriseBlock]',
  host: { 'data-reprise-block': '', '[attr.data-reprise-block]': 'enabled ? "" : null' },
})
export class RepriseBlock {
  @Input({ alias: 'repriseBlock', transform: booleanAttribute }) enabled = true;
}

/** Records this field's value again inside a masked area (passwords never are): `<input repriseUnmask>`. */
@Directive({ selector: '[repriseUnmask]', host: { '[attr.data-reprise-unmask]': 'enabled ? "" : null' } })
export class RepriseUnmask {
  @Input({ alias: 'repriseUnmask', transform: booleanAttribute }) enabled = true;
}
