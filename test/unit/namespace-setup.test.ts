// The rules of `wa-number setup` that need no server: Temporal Cloud is told the tcld command (it manages
// search attributes itself), types are compared, and nothing is written where it cannot be fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import {
  cloudSearchAttributeCommand,
  isTemporalCloud,
  namespaceProblem,
  setUpNamespace,
  type TemporalServices,
} from '../../platform/namespace-setup';

const T = temporal.api.enums.v1.IndexedValueType;

/** A namespace with these custom attributes; records what setup tries to add. */
function fakeServices(custom: Record<string, number> | 'no-namespace') {
  const added: Record<string, number>[] = [];
  const services = {
    workflowService: {
      describeNamespace: async () => {
        if (custom === 'no-namespace')
          throw Object.assign(new Error('Namespace x is not found.'), { code: 5 });
        return {};
      },
      registerNamespace: async () => assert.fail('must not create a namespace'),
    },
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: custom === 'no-namespace' ? {} : custom }),
      addSearchAttributes: async (req: { searchAttributes?: Record<string, number> | null }) => {
        added.push(req.searchAttributes ?? {});
        return {};
      },
    },
  } as unknown as TemporalServices;
  return { services, added };
}

const say = () => undefined;

test('Temporal Cloud addresses are recognised; others are not', () => {
  assert.equal(isTemporalCloud('prod.a1b2c.tmprl.cloud:7233'), true);
  assert.equal(isTemporalCloud('us-east-1.aws.api.temporal.io:7233'), true);
  assert.equal(isTemporalCloud('temporal-frontend.prod.svc:7233'), false);
  assert.equal(isTemporalCloud('127.0.0.1:7233'), false);
});

test('on Temporal Cloud, missing attributes are not added: the tcld command for exactly those is given', async () => {
  const { services, added } = fakeServices({ WaPhoneNumberId: T.INDEXED_VALUE_TYPE_KEYWORD });
  const result = await setUpNamespace(services, 'prod.a1b2c', {
    address: 'prod.a1b2c.tmprl.cloud:7233',
    createNamespace: true,
    retentionDays: 30,
    say,
  });
  assert.equal(result.ok, false);
  assert.deepEqual(added, []);
  assert.equal(
    result.problem,
    'namespace prod.a1b2c lacks search attributes WaWabaId, WaLifecycleState, WaOperation, WaNextAttemptAt: ' +
      cloudSearchAttributeCommand('prod.a1b2c', [
        'WaWabaId',
        'WaLifecycleState',
        'WaOperation',
        'WaNextAttemptAt',
      ]),
  );
  assert.match(result.problem!, /--search-attribute "WaNextAttemptAt=Datetime"$/);
  assert.doesNotMatch(result.problem!, /WaPhoneNumberId=/);
});

test('self-hosted: only the missing attributes are added, with their types', async () => {
  const { services, added } = fakeServices({ WaPhoneNumberId: T.INDEXED_VALUE_TYPE_KEYWORD });
  const result = await setUpNamespace(services, 'ns', {
    address: '10.0.0.5:7233',
    createNamespace: false,
    retentionDays: 30,
    say,
  });
  assert.deepEqual(result.registered, ['WaWabaId', 'WaLifecycleState', 'WaOperation', 'WaNextAttemptAt']);
  assert.deepEqual(added, [
    {
      WaWabaId: T.INDEXED_VALUE_TYPE_KEYWORD,
      WaLifecycleState: T.INDEXED_VALUE_TYPE_KEYWORD,
      WaOperation: T.INDEXED_VALUE_TYPE_KEYWORD,
      WaNextAttemptAt: T.INDEXED_VALUE_TYPE_DATETIME,
    },
  ]);
});

test('an attribute of another type stops setup before anything is added, naming both types', async () => {
  const { services, added } = fakeServices({ WaNextAttemptAt: T.INDEXED_VALUE_TYPE_KEYWORD_LIST });
  const result = await setUpNamespace(services, 'ns', {
    address: '10.0.0.5:7233',
    createNamespace: false,
    retentionDays: 30,
    say,
  });
  assert.equal(result.ok, false);
  assert.deepEqual(added, []);
  assert.match(result.problem!, /WaNextAttemptAt is KeywordList, not Datetime/);
});

test('a missing namespace on Temporal Cloud is not created here; the message says where', async () => {
  const { services } = fakeServices('no-namespace');
  const result = await setUpNamespace(services, 'prod.a1b2c', {
    address: 'prod.a1b2c.tmprl.cloud:7233',
    createNamespace: true,
    retentionDays: 30,
    say,
  });
  assert.equal(result.ok, false);
  assert.match(result.problem!, /does not exist .*create it in Temporal Cloud/);
  assert.equal(
    namespaceProblem({ namespace: 'n', exists: false }, '127.0.0.1:7233'),
    'namespace n does not exist on 127.0.0.1:7233: run `wa-number setup --namespace n --create-namespace`',
  );
});
