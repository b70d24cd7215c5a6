// The failure-type catalogue (domain/failure-types.ts) is the whole list: workflows throw only its names,
// anything else is reported as OperationFailed, and the OpenAPI document emits the list as an enum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { buildOpenApiDocument } from '../../api/app';
import { FAILURE_TYPES, OperationFailureType } from '../../domain/failure-types';
import { GraphErrorType } from '../../domain/graph-errors';
import { ROOT_DIR } from '../../platform/config';
import { failureOf } from '../../workflows/operation-runner';

test('the catalogue holds every operation and Graph failure type once', () => {
  assert.equal(new Set(FAILURE_TYPES).size, FAILURE_TYPES.length, 'no name twice');
  for (const t of Object.values(GraphErrorType)) assert.ok(FAILURE_TYPES.includes(t), t);
  for (const t of Object.values(OperationFailureType)) assert.ok(FAILURE_TYPES.includes(t), t);
});

/** `nonRetryable(message, 'Literal', ...)` calls in a source text, found with the TypeScript parser. */
function bareFailureTypes(file: string, text: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      /(^|\.)nonRetryable$/.test(node.expression.getText()) &&
      node.arguments[1] &&
      ts.isStringLiteralLike(node.arguments[1])
    ) {
      found.push(`${file}: '${node.arguments[1].text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
  return found;
}

test('workflows and activities name failure types through the catalogue, never as bare strings', () => {
  const offenders: string[] = [];
  for (const folder of ['workflows', 'activities']) {
    for (const file of readdirSync(path.join(ROOT_DIR, folder)).filter((f) => f.endsWith('.ts'))) {
      offenders.push(
        ...bareFailureTypes(`${folder}/${file}`, readFileSync(path.join(ROOT_DIR, folder, file), 'utf8')),
      );
    }
  }
  assert.deepEqual(offenders, []);
  // The check itself finds one, across lines and past semicolons in the message.
  const probe = "throw ApplicationFailure.nonRetryable(\n  `a; b`,\n  'Bare',\n);";
  assert.deepEqual(bareFailureTypes('probe.ts', probe), ["probe.ts: 'Bare'"]);
});

test('failureOf keeps a catalogue type and reports any other as OperationFailed, naming the original', () => {
  const pin = failureOf(
    ApplicationFailure.nonRetryable('wrong PIN', GraphErrorType.PinMismatch, { code: 133005 }),
  );
  assert.deepEqual(pin, { type: 'GraphPinMismatch', message: 'wrong PIN', graphCode: 133005 });
  const plain = failureOf(ApplicationFailure.create({ message: 'x is undefined', type: 'TypeError' }));
  assert.deepEqual(plain, { type: 'OperationFailed', message: 'TypeError: x is undefined' });
  assert.equal(failureOf(new CancelledFailure('stop')).type, 'Cancelled');
});

test('the OpenAPI document lists the catalogue as the enum of every failure type', async () => {
  const doc = JSON.stringify(await buildOpenApiDocument({ authRequired: true }));
  const enums = [...doc.matchAll(/"enum":(\[[^\]]*\])/g)].map((m) => JSON.parse(m[1]!) as string[]);
  const failureEnums = enums.filter((e) => e.includes('GraphPinMismatch'));
  assert.ok(failureEnums.length >= 2, 'operation failures and fleet member failures');
  for (const e of failureEnums) assert.deepEqual(e, FAILURE_TYPES);
});
