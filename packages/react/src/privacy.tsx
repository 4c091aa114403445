import { cloneElement, createElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import { BLOCK_ATTRIBUTE, MASK_ATTRIBUTE, UNMASK_ATTRIBUTE } from '@reprise/core';

type PrivacyAttribute = typeof MASK_ATTRIBUTE | typeof BLOCK_ATTRIBUTE | typeof UNMASK_ATTRIBUTE;

/** Spread on any element (or a component that forwards props to its root) to mask its text. */
export function maskProps(): { [MASK_ATTRIBUTE]: '' } {
  return { [MASK_ATTRIBUTE]: '' };
}

/** Spread on any element to replace it by a same-size placeholder in recordings. */
export function blockProps(): { [BLOCK_ATTRIBUTE]: '' } {
  return { [BLOCK_ATTRIBUTE]: '' };
}

/** Spread on a field to record its value again (passwords never are). */
export function unmaskProps(): { [UNMASK_ATTRIBUTE]: '' } {
  return { [UNMASK_ATTRIBUTE]: '' };
}

export interface PrivacyProps {
  /**
   * One element. A DOM element (`<div>`, `<input>`) gets the attribute itself, with no extra DOM;
   * anything else (text, several children, a component) is wrapped in `as`.
   */
  children?: ReactNode;
  /** Wrapper element used only when the child cannot carry the attribute. @default 'div' */
  as?: string;
}

function privacyComponent(attribute: PrivacyAttribute, displayName: string, wrapperStyle?: { display: 'contents' }) {
  // ReactElement, not ReactNode: @types/react 18 rejects components typed to return ReactNode.
  function PrivacyComponent({ children, as = 'div' }: PrivacyProps): ReactElement {
    // Only a host element is sure to put its props on the DOM; a component may drop them.
    if (isValidElement(children) && typeof children.type === 'string') {
      return cloneElement(children as ReactElement<Record<string, unknown>>, { [attribute]: '' });
    }
    return createElement(as, { [attribute]: '', style: wrapperStyle }, children);
  }
  PrivacyComponent.displayName = displayName;
  return PrivacyComponent;
}

// Masking is inherited by descendants, so a `display: contents` wrapper leaves layout untouched.
// A blocked element is replaced by a placeholder of its size, so its wrapper needs a box.
/** Masks the text of its child subtree in recordings. */
export const Mask = privacyComponent(MASK_ATTRIBUTE, 'Mask', { display: 'contents' });
/** Replaces its child subtree by a same-size placeholder in recordings. */
export const Block = privacyComponent(BLOCK_ATTRIBUTE, 'Block');
/** Opts its child field(s) back into recording inside masked areas (passwords never are). */
export const Unmask = privacyComponent(UNMASK_ATTRIBUTE, 'Unmask', { display: 'contents' });
