import t from 'tap';
import { Writable } from 'node:stream';
import {
  compileGrep, escapeLine, formatRecord, LineSplitter, matches, parseDuration, recordWeight, Ring, type LogRecord,
} from '../../../lib/ts/logs/ring.js';
import { LogHub, streamReader } from '../../../lib/ts/logs/hub.js';
import { logHubFromEnv } from '../../../lib/ts/cli/commands/ship-run.js';
import { formatSupervisorLine, linesLost, parseSupervisorLine } from '../../../lib/ts/container/supervisor-line.js';
import { logQuery } from '../../../lib/ts/logs/control.js';
import { inTimeOrder, logsRequestFrom } from '../../../lib/ts/cli/logs.js';

const rec = (service: string | null, line: string, extra: Partial<LogRecord> = {}): LogRecord => ({
  time: '2026-11-26T12:00:00.000Z', ship: 's', service, container: service ? 'c1' : null, source: 'app', line, ...extra,
});

t.test('ring keeps the newest N in order', async (t) => {
  const r = new Ring<number>(3);
  t.same(r.toArray(), []);
  for (let i = 1; i <= 7; i++) r.push(i);
  t.equal(r.size, 3);
  t.same(r.toArray(), [5, 6, 7]);
  t.throws(() => new Ring(0));
});

t.test('a ring with a byte budget drops the oldest past it, keeps the newest even when it alone is over', async (t) => {
  const r = new Ring<string>(100, { maxBytes: 10, weigh: (x) => x.length });
  for (const x of ['aaaa', 'bbbb', 'cc']) r.push(x);
  t.same(r.toArray(), ['aaaa', 'bbbb', 'cc']);
  t.equal(r.weight, 10);
  r.push('d');
  t.same(r.toArray(), ['bbbb', 'cc', 'd'], 'the oldest went to stay within 10');
  t.equal(r.weight, 7);
  r.push('x'.repeat(50));
  t.same(r.toArray(), ['x'.repeat(50)], 'one item over the budget is kept alone');
  const lines = new Ring<string>(2, { maxBytes: 1000, weigh: (x) => x.length });
  for (const x of ['a', 'b', 'c']) lines.push(x);
  t.same(lines.toArray(), ['b', 'c'], 'the line count still bounds it');
  t.equal(lines.weight, 2);
  t.throws(() => new Ring(3, { maxBytes: 0, weigh: () => 1 }));
});

t.test('a hub\'s rings hold at most their byte budget under a flood of long lines', async (t) => {
  const hub = new LogHub({ ship: 's', ringLines: 10_000, ringBytes: 64 * 1024, shipRingBytes: 256 * 1024, sink: null });
  for (let i = 0; i < 5000; i++) hub.emit(rec(`/s${i % 5}`, `${i} ${'y'.repeat(1000)}`));
  const sizes = hub.ringSizes();
  const bytes = hub.ringBytes();
  t.ok(bytes.services <= 5 * 64 * 1024, `service rings ${bytes.services} bytes`);
  t.ok(bytes.ship <= 256 * 1024, `ship ring ${bytes.ship} bytes`);
  t.equal(sizes.services['/s0'], Math.floor(64 * 1024 / recordWeight(rec('/s0', `4995 ${'y'.repeat(1000)}`))), 'as many lines as fit');
  t.match(hub.tail({ service: '/s4' }, 1)[0].line, /^4999 /, 'the newest is kept');
});

t.test('all the service rings together stay within one budget: the noisiest service sheds its history first', async (t) => {
  // 100 services, each ring allowed 512 KiB; all of them together 1 MiB.
  const hub = new LogHub({ ship: 's', ringLines: 10_000, ringBytes: 512 * 1024, servicesRingBytes: 1024 * 1024, sink: null });
  for (let i = 0; i < 100; i++) for (let k = 0; k < 3; k++) hub.emit(rec(`/quiet${i}`, `quiet ${i} ${k}`));
  for (let i = 0; i < 20_000; i++) hub.emit(rec('/loud', `${i} ${'x'.repeat(200)}`));
  const bytes = hub.ringBytes();
  t.ok(bytes.services <= 1024 * 1024, `every service ring together: ${bytes.services} bytes`);
  const sizes = hub.ringSizes();
  t.equal(sizes.services['/quiet7'], 3, 'a quiet service keeps its lines');
  t.ok(sizes.services['/loud'] < 20_000 && sizes.services['/loud'] > 1000, `the loud one keeps its newest ${sizes.services['/loud']}`);
  t.match(hub.tail({ service: '/loud' }, 1)[0].line, /^19999 /);
  // Many services, each over its share: the heaviest give first, every one keeps its newest line.
  const many = new LogHub({ ship: 's', ringLines: 10_000, ringBytes: 512 * 1024, servicesRingBytes: 256 * 1024, sink: null });
  for (let i = 0; i < 30_000; i++) many.emit(rec(`/s${i % 50}`, `${i} ${'y'.repeat(100 + (i % 50) * 10)}`));
  t.ok(many.ringBytes().services <= 256 * 1024, `${many.ringBytes().services} bytes`);
  for (let s = 0; s < 50; s++) t.ok(many.ringSizes().services[`/s${s}`] >= 1, `/s${s} keeps its newest`);
  t.throws(() => logHubFromEnv({ STARPHLEET_LOG_RINGS_BYTES: '12x' }), /STARPHLEET_LOG_RINGS_BYTES must be a whole number/);
});

t.test('line splitter: newlines, CRLF, partial lines, 16 KiB pieces', async (t) => {
  const s = new LineSplitter(8);
  t.same(s.push(Buffer.from('ab\r\ncd')).map(String), ['ab']);
  t.same(s.push(Buffer.from('e\n')).map(String), ['cde']);
  t.same(s.push(Buffer.from('0123456789abcdefXYZ\n')).map(String), ['01234567', '89abcdef', 'XYZ']);
  t.same(s.push(Buffer.from('0123456789')).map(String), ['01234567'], 'a long partial line is split before its newline');
  t.same(s.flush().map(String), ['89']);
  t.same(s.flush(), []);
  const big = new LineSplitter();
  const pieces = big.push(Buffer.from(`${'y'.repeat(40000)}\n`));
  t.same(pieces.map((p) => p.length), [16384, 16384, 40000 - 32768]);
});

t.test('binary is escaped, UTF-8 and tabs are kept', async (t) => {
  t.equal(escapeLine(Buffer.from('plain é ✓\ttab')), 'plain é ✓\ttab');
  t.equal(escapeLine(Buffer.from([0x41, 0x00, 0x1b, 0x7f, 0xff, 0x42])), 'A\\x00\\x1b\\x7f\\xffB');
  t.equal(escapeLine(Buffer.concat([Buffer.from('é'), Buffer.from([0xc3])])), 'é\\xc3', 'a cut UTF-8 sequence');
  t.equal(escapeLine(Buffer.from([0xe2, 0x28, 0xa1])), '\\xe2(\\xa1');
});

t.test('filters, durations, regexes and the text form', async (t) => {
  t.ok(matches(rec('/a', 'hello'), {}));
  t.notOk(matches(rec('/a', 'hello'), { service: '/b' }));
  t.ok(matches(rec('/a', 'hello'), { grep: /ell/ }));
  t.notOk(matches(rec('/a', 'hello'), { grep: /^ell/ }));
  t.ok(matches(rec('/a', 'hello'), { grep: /l/g }) && matches(rec('/a', 'hello'), { grep: /l/g }), 'a global regex does not keep its position');
  t.notOk(matches(rec('/a', 'x'), { sinceMs: Date.parse('2026-11-26T12:00:01Z') }));
  t.equal(parseDuration('90s'), 90_000);
  t.equal(parseDuration('5m'), 300_000);
  t.equal(parseDuration('2'), 2000);
  t.equal(parseDuration('1d'), 86_400_000);
  t.equal(parseDuration('yesterday'), null);
  t.type(compileGrep('('), 'string');
  t.type(compileGrep('a+'), RegExp);
  t.equal(formatRecord(rec('/a', 'hi', { stream: 'stderr' })), '2026-11-26T12:00:00.000Z /a c1 app/stderr: hi');
  t.equal(formatRecord(rec(null, 'up', { source: 'agent' })), '2026-11-26T12:00:00.000Z - - agent: up');
});

t.test('supervisor lines parse into sequence, stream and text; old unnumbered lines still parse', async (t) => {
  const at = '2026-11-26T12:00:00.123Z';
  t.same(parseSupervisorLine(`${at} 7 stdout hello world`), { time: at, seq: 7, stream: 'stdout', text: 'hello world' });
  t.same(parseSupervisorLine(`${at} 8 stderr `), { time: at, seq: 8, stream: 'stderr', text: '' });
  t.same(parseSupervisorLine(`${at} 9 supervisor container exited with status 0`),
    { time: at, seq: 9, stream: null, text: 'supervisor: container exited with status 0' });
  t.same(parseSupervisorLine(`${at} stdout 12 apples`), { time: at, seq: null, stream: 'stdout', text: '12 apples' });
  t.same(parseSupervisorLine(`${at} stdout`), { time: at, seq: null, stream: 'stdout', text: '' });
  t.same(parseSupervisorLine('garbage'), { time: null, seq: null, stream: null, text: 'garbage' });
  t.same(parseSupervisorLine(formatSupervisorLine(at, 3, 'stdout', '4 stdout x').trimEnd()), { time: at, seq: 3, stream: 'stdout', text: '4 stdout x' });
});

t.test('lines lost between two sequence numbers; a lower number is a restart, not a loss', async (t) => {
  t.equal(linesLost(null, 5), 0);
  t.equal(linesLost(4, 5), 0);
  t.equal(linesLost(4, 10), 5);
  t.equal(linesLost(10, 1), 0);
  t.equal(linesLost(10, null), 0);
});

t.test('hub: rings per service and ship-wide stay bounded; tail filters', async (t) => {
  const hub = new LogHub({ ship: 's', ringLines: 10, sink: null });
  for (let i = 0; i < 25; i++) hub.emit(rec('/a', `a${i}`));
  for (let i = 0; i < 5; i++) hub.emit(rec('/b', `b${i}`));
  t.same(hub.ringSizes(), { ship: 10, services: { '/a': 10, '/b': 5 } });
  t.same(hub.tail({ service: '/a' }, 3).map((r) => r.line), ['a22', 'a23', 'a24']);
  t.same(hub.tail({ service: '/b' }, 100).map((r) => r.line), ['b0', 'b1', 'b2', 'b3', 'b4']);
  t.same(hub.tail({ grep: /^a2[34]$/ }, 100).map((r) => r.line), ['a23', 'a24']);
  t.equal(hub.emitted, 30);
});

t.test('a reader that falls behind loses lines with one counted gap, and never blocks the hub', async (t) => {
  const hub = new LogHub({ ship: 's', ringLines: 100, sink: null });
  // A stream whose reader is stuck: nothing is taken until release().
  const written: string[] = [];
  let held: Array<() => void> = [];
  const out = new Writable({
    highWaterMark: 500, // below the reader's limit, as a socket's is (16 KiB against 8 MiB)
    write(chunk: Buffer, _enc, cb) { written.push(chunk.toString()); held.push(cb); },
  });
  const release = async (): Promise<void> => {
    while (held.length) { const cbs = held; held = []; cbs.forEach((cb) => cb()); await new Promise((r) => setImmediate(r)); }
  };
  hub.subscribe(streamReader('s', out, { service: '/a' }, (r) => JSON.stringify(r) + '\n', 1000));
  for (let i = 0; i < 200; i++) hub.emit(rec('/a', `line ${i} ${'z'.repeat(50)}`));
  // A gap record from upstream (the follower lost 40 lines) dropped here adds its count, not 1.
  hub.emit({ ...rec('/a', '[gap] 40 log lines dropped: upstream fell behind'), gap: 40 });
  hub.emit(rec('/b', 'other service'));
  t.equal(hub.tail({ service: '/a' }, 1000).length, 100, 'the ring got every line regardless');
  await release();
  const got = written.map((l) => JSON.parse(l) as LogRecord);
  const gap = got[got.length - 1];
  const lines = got.slice(0, -1);
  t.ok(lines.length > 0 && lines.length < 200, `only ${lines.length} of 200 reached the stuck reader`);
  t.notOk(lines.some((r) => r.service === '/b'), 'filter applies');
  t.equal(gap.gap, 240 - lines.length, 'once it caught up, a gap record counts what it missed, upstream gaps included');
  t.match(gap.line, /^\[gap\] \d+ log lines dropped/);
  written.length = 0;
  hub.emit(rec('/a', 'after'));
  await release();
  t.same(written.map((l) => (JSON.parse(l) as LogRecord).line), ['after'], 'then lines flow again');
});

t.test('log queries: unknown service, bad regex, bad duration', async (t) => {
  const known = (p: string): boolean => p === '/a';
  t.same(logQuery({ cmd: 'logs', service: '/x' }, known), { error: 'no service at /x on this ship' });
  t.match(logQuery({ cmd: 'logs', grep: '(' }, known), { error: /bad --grep regex/ });
  t.match(logQuery({ cmd: 'logs', since: 'soon' }, known), { error: /bad --since/ });
  const ok = logQuery({ cmd: 'logs', service: '/a', lines: 5, grep: 'x' }, known);
  t.match(ok, { lines: 5, filter: { service: '/a' } });
  t.throws(() => logsRequestFrom({ grep: '(' }, []), { message: /--grep is not a valid regular expression/ });
  t.throws(() => logsRequestFrom({ lines: 'many' }, []), { message: /--lines must be a whole number/ });
  t.throws(() => logsRequestFrom({}, ['api']), { message: /must start with/ });
  t.throws(() => logsRequestFrom({}, ['/a', '/b']), { message: /one SERVICE_PATH at most/ });
  t.same(logsRequestFrom({ follow: true }, ['/a']), { cmd: 'logs', service: '/a', lines: 10 });
  t.same(logsRequestFrom({}, ['/api/v2/']), { cmd: 'logs', service: '/api/v2' }, 'a trailing slash names the same service, as in a URL');
  t.same(logsRequestFrom({}, ['/']), { cmd: 'logs', service: '/' });
  t.same(logsRequestFrom({}, ['//']), { cmd: 'logs', service: '/' });
});

t.test('a tail is printed in time order; lines with the same time keep their order', async (t) => {
  const r = (time: string, line: string): LogRecord => ({ time, ship: 's', service: '/a', container: null, source: 'agent', line });
  const got = inTimeOrder([
    r('2026-01-01T00:00:02.000Z', 'agent: serving c1'),
    r('2026-01-01T00:00:01.000Z', 'app: listening'),
    r('2026-01-01T00:00:01.000Z', 'app: second line, same ms'),
    r('2026-01-01T00:00:03.000Z', 'agent: draining c0'),
  ]);
  t.same(got.map((x) => x.line), ['app: listening', 'app: second line, same ms', 'agent: serving c1', 'agent: draining c0']);
});

t.test('a record of a process instance names it after its container', async (t) => {
  t.equal(formatRecord({ time: '2026-11-26T12:00:00.000Z', ship: 's', service: '/a', container: 'c1', process: 'worker.2', source: 'app', line: 'tick' }),
    '2026-11-26T12:00:00.000Z /a c1 worker.2 app: tick');
});
