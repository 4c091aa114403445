import { forwardRef, type ComponentProps } from 'react';
import { render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import { BLOCK_ATTRIBUTE, MASK_ATTRIBUTE, UNMASK_ATTRIBUTE } from '@reprise/core';
import { EventType } from '@reprise/protocol';
import { Block, Mask, RecorderProvider, Unmask, blockProps, maskProps, unmaskProps } from './index.js';
import { cleanupRecorders, eventSink } from './test-utils.js';

afterEach(cleanupRecorders);

describe('privacy components', () => {
  test('<Mask> puts the attribute on a DOM child, with no extra element', () => {
    const { container } = render(
      <Mask>
        <section id="card" className="panel">
          secret
        </section>
      </Mask>,
    );
    expect(container.innerHTML).toBe('<section id="card" class="panel" data-reprise-mask="">secret</section>');
  });

  test('<Block> and <Unmask> do the same with their attributes', () => {
    const { container } = render(
      <>
        <Block>
          <img alt="avatar" src="data:," />
        </Block>
        <Unmask>
          <input name="city" defaultValue="Paris" />
        </Unmask>
      </>,
    );
    expect(container.querySelector('img')!.getAttribute('data-reprise-block')).toBe('');
    expect(container.querySelector('input')!.getAttribute('data-reprise-unmask')).toBe('');
    expect(container.children).toHaveLength(2);
  });

  test('text, several children or a component child get a wrapper that carries the attribute', () => {
    const Card = (props: { title: string }) => <article>{props.title}</article>;
    const { container } = render(
      <>
        <Mask>plain text</Mask>
        <Mask>
          <b>one</b>
          <i>two</i>
        </Mask>
        <Block>
          <Card title="component" />
        </Block>
        <Mask as="span">inline</Mask>
      </>,
    );
    expect(container.innerHTML).toBe(
      '<div data-reprise-mask="" style="display: contents;">plain text</div>' +
        '<div data-reprise-mask="" style="display: contents;"><b>one</b><i>two</i></div>' +
        '<div data-reprise-block=""><article>component</article></div>' +
        '<span data-reprise-mask="" style="display: contents;">inline</span>',
    );
  });

  test('the child keeps its own props and ref', () => {
    const Field = forwardRef<HTMLInputElement, ComponentProps<'input'>>((props, ref) => <input ref={ref} {...props} />);
    let input: HTMLInputElement | null = null;
    render(
      <Unmask>
        <input ref={(node) => void (input = node)} aria-label="city" />
      </Unmask>,
    );
    expect(input!.getAttribute('aria-label')).toBe('city');
    expect(input!.hasAttribute('data-reprise-unmask')).toBe(true);
    const { container } = render(<Field {...unmaskProps()} />);
    expect(container.querySelector('input')!.hasAttribute('data-reprise-unmask')).toBe(true);
  });

  test('maskProps(), blockProps() and unmaskProps() spread the attributes', () => {
    expect(maskProps()).toEqual({ 'data-reprise-mask': '' });
    expect(blockProps()).toEqual({ 'data-reprise-block': '' });
    expect(unmaskProps()).toEqual({ 'data-reprise-unmask': '' });
    const { container } = render(<p {...maskProps()}>hidden</p>);
    expect(container.innerHTML).toBe('<p data-reprise-mask="">hidden</p>');
  });

  test("the attributes are the core's own names", () => {
    expect([MASK_ATTRIBUTE, BLOCK_ATTRIBUTE, UNMASK_ATTRIBUTE]).toEqual([
      'data-reprise-mask',
      'data-reprise-block',
      'data-reprise-unmask',
    ]);
    expect(Object.keys({ ...maskProps(), ...blockProps(), ...unmaskProps() })).toEqual([
      MASK_ATTRIBUTE,
      BLOCK_ATTRIBUTE,
      UNMASK_ATTRIBUTE,
    ]);
  });

  test('masked and blocked text never reaches the recording; an unmasked field does', async () => {
    const sink = eventSink();
    render(
      <RecorderProvider options={{ onEvents: sink.onEvents }}>
        <p>visible words</p>
        <Mask>
          <p>masked words</p>
        </Mask>
        <Mask>wrapped masked words</Mask>
        <Block>
          <p>blocked words</p>
        </Block>
        <input name="masked-by-default" defaultValue="Berlin" />
        <Unmask>
          <input name="unmasked" defaultValue="Lisbon" />
        </Unmask>
      </RecorderProvider>,
    );
    await waitFor(() => expect(sink.ofType(EventType.FullSnapshot)).toHaveLength(1));
    const recorded = JSON.stringify(sink.events);
    expect(recorded).toContain('visible words');
    expect(recorded).not.toContain('masked words');
    expect(recorded).not.toContain('blocked words');
    expect(recorded).not.toContain('Berlin');
    expect(recorded).toContain('Lisbon');
  });
});
