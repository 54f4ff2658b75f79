import { test, expect } from '@playwright/test';
import { notTextReason } from './text-input.js';

const bytes = (s: string) => new TextEncoder().encode(s);

test('a terminal session is text: colours, carriage returns and backspaces included', () => {
  expect(notTextReason(bytes('\u001b[92m Successfully created course101\u001b[00m\r\nDownloading 10%\rDone\b\n\tindented\n'))).toBeUndefined();
  expect(notTextReason(bytes('[SubmitApp | INFO] Submitted as: course101 ps1 — été\n'))).toBeUndefined();
});

test('binary is named by what gives it away: a NUL byte, bytes that are not UTF-8, control characters', () => {
  expect(notTextReason(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x00]))).toBe('a NUL byte at offset 5');
  expect(notTextReason(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]))).toBe('not valid UTF-8');
  expect(notTextReason(new Uint8Array([0x01, 0x02, 0x03, 0x41, 0x42]))).toBe('3 control characters in its first 5 bytes');
});
