import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';

test('crc32c check value of "123456789" is 0xe3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
});

test('crc32c of empty input is 0', () => {
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test('crc32c is unsigned and can be continued across chunks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
      const whole = crc32c(Buffer.concat([a, b]));
      assert.ok(whole >= 0 && whole <= 0xffffffff);
      assert.equal(crc32c(b, crc32c(a)), whole);
    }),
  );
});

test('crc32c works on a subarray view without copying', () => {
  const big = Buffer.from('xx123456789yy', 'ascii');
  assert.equal(crc32c(big.subarray(2, 11)), 0xe3069283);
});
