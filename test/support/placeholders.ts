import type { Page } from 'playwright-core';

/**
 * The visible inputs (and textareas) of the page whose placeholder does not fit their box, as
 * `<selector>: "<placeholder>"`: the placeholder's width in the input's own font (a canvas
 * measure) against the width inside its padding. A screenshot review found three cut off.
 */
export async function cutPlaceholders(page: Page): Promise<string[]> {
  // Page code as a string: the project's types have no DOM.
  return page.evaluate(`(() => {
    const ctx = document.createElement('canvas').getContext('2d');
    const cut = [];
    for (const input of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
      if (!input.placeholder || input.offsetParent === null) continue;
      const style = getComputedStyle(input);
      ctx.font = style.font;
      const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      // A textarea wraps its placeholder: only its longest word must fit.
      const text = input.tagName === 'TEXTAREA' ? input.placeholder.split(/\\s+/).reduce((a, b) => (ctx.measureText(a).width >= ctx.measureText(b).width ? a : b)) : input.placeholder;
      if (ctx.measureText(text).width > room) {
        const name = input.id ? '#' + input.id : input.tagName.toLowerCase() + '[name=' + input.name + ']';
        cut.push(name + ': "' + input.placeholder + '"');
      }
    }
    return cut;
  })()`);
}
