import { createElement, type ReactNode } from 'react';

/** The core's messages quote commands in backticks (they are written for the terminal too): show those as code. */
export function withCode(message: string): ReactNode[] {
  return message.split('`').map((part, i) => (i % 2 === 1 ? createElement('code', { key: i }, part) : part));
}
