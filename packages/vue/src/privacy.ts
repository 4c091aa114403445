import {
  cloneVNode,
  defineComponent,
  h,
  type DirectiveBinding,
  type ObjectDirective,
  type PropType,
  type VNode,
} from 'vue';
import { BLOCK_ATTRIBUTE, MASK_ATTRIBUTE, UNMASK_ATTRIBUTE } from '@reprise/core';

type PrivacyAttribute = typeof MASK_ATTRIBUTE | typeof BLOCK_ATTRIBUTE | typeof UNMASK_ATTRIBUTE;

/** `v-reprise-mask`, `v-reprise-mask="isPrivate"`: on unless the binding is `false`. */
export type PrivacyDirective = ObjectDirective<Element, boolean | undefined>;

function privacyDirective(attribute: PrivacyAttribute): PrivacyDirective {
  const apply = (element: Element, { value }: DirectiveBinding<boolean | undefined>) => {
    element.toggleAttribute(attribute, value !== false);
  };
  return {
    // Before insertion, so the element is already private in the snapshot that first records it.
    beforeMount: apply,
    updated: apply,
    // Server-rendered HTML carries the attribute too.
    getSSRProps: ({ value }) => (value === false ? {} : { [attribute]: '' }),
  };
}

/** Masks the element's text in recordings: `<div v-reprise-mask>`, or `v-reprise-mask="isPrivate"` to follow a flag. */
export const vRepriseMask: PrivacyDirective = privacyDirective(MASK_ATTRIBUTE);
/** Replaces the element by a same-size placeholder in recordings. */
export const vRepriseBlock: PrivacyDirective = privacyDirective(BLOCK_ATTRIBUTE);
/** Records the field's value again inside a masked area (passwords never are). */
export const vRepriseUnmask: PrivacyDirective = privacyDirective(UNMASK_ATTRIBUTE);

function privacyComponent(attribute: PrivacyAttribute, name: string, wrapperStyle?: { display: 'contents' }) {
  return defineComponent({
    name,
    props: {
      /** Wrapper element, used only when the slot is not one element. @default 'div' */
      as: { type: String as PropType<string>, default: 'div' },
    },
    setup(props, { slots }) {
      return (): VNode => {
        const children = slots.default?.() ?? [];
        const [only] = children;
        // One element gets the attribute itself, with no extra DOM; a component may not pass it on.
        if (children.length === 1 && only && typeof only.type === 'string')
          return cloneVNode(only, { [attribute]: '' });
        return h(props.as, { [attribute]: '', ...(wrapperStyle && { style: wrapperStyle }) }, children);
      };
    },
  });
}

// Masking is inherited by descendants, so a `display: contents` wrapper leaves layout untouched.
// A blocked element is replaced by a placeholder of its size, so its wrapper needs a box.
/** Masks the text of its slot in recordings. */
export const RepriseMask = privacyComponent(MASK_ATTRIBUTE, 'RepriseMask', { display: 'contents' });
/** Replaces its slot by a same-size placeholder in recordings. */
export const RepriseBlock = privacyComponent(BLOCK_ATTRIBUTE, 'RepriseBlock');
/** Opts the field(s) in its slot back into recording inside masked areas (passwords never are). */
export const RepriseUnmask = privacyComponent(UNMASK_ATTRIBUTE, 'RepriseUnmask', { display: 'contents' });
