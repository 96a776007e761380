/**
 * The preprocessing handler of each feature type: an explicit table (STYLE B3), so the
 * pipeline never branches on a type name.
 *
 * @module
 */
import { binaryHandler } from "./_binary.ts";
import { categoryHandler } from "./_category.ts";
import type { TypeHandler } from "./_common.ts";
import { dateHandler } from "./_date.ts";
import { h3Handler } from "./_h3.ts";
import { numberHandler } from "./_number.ts";
import { sequenceHandler, textHandler } from "./_sequence.ts";
import { bagHandler, setHandler } from "./_set.ts";
import { vectorHandler } from "./_vector.ts";

/** Feature type → handler. */
export const HANDLERS: Readonly<Record<string, TypeHandler>> = Object.freeze({
  binary: binaryHandler,
  number: numberHandler,
  category: categoryHandler,
  set: setHandler,
  bag: bagHandler,
  vector: vectorHandler,
  date: dateHandler,
  h3: h3Handler,
  sequence: sequenceHandler,
  text: textHandler,
});

/**
 * The handler of a feature type.
 *
 * @throws {TypeError} When Sonata cannot preprocess the type yet.
 */
export function handlerFor(type: string, feature: string): TypeHandler {
  const handler = Object.hasOwn(HANDLERS, type) ? HANDLERS[type] : undefined;
  if (handler === undefined) {
    throw new TypeError(
      `Cannot preprocess feature "${feature}": type "${type}" is not supported yet: expected one of ${
        Object.keys(HANDLERS).map((t) => `"${t}"`).join(", ")
      }`,
    );
  }
  return handler;
}
