import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jitOffReexec } from '../../../lib/ts/core/runtime-reexec.js';

t.test('the agent re-execs itself once, with the JIT off, keeping its arguments and environment', async (t) => {
  const plan = jitOffReexec({ PATH: '/bin', HOME: '/root' }, ['/usr/bin/starphleet'], ['ship', 'run', '--root', '/r'], true);
  t.same(plan, {
    file: '/usr/bin/starphleet',
    argv: ['/usr/bin/starphleet', 'ship', 'run', '--root', '/r'],
    env: { PATH: '/bin', HOME: '/root', BUN_JSC_useJIT: '0' },
  });
  t.equal(jitOffReexec({ BUN_JSC_useJIT: '0' }, ['/b'], [], true), null, 'the re-exec\'d process does not loop');
  t.equal(jitOffReexec({ BUN_JSC_useJIT: '1' }, ['/b'], [], true), null, 'an admiral\'s own setting wins');
  t.equal(jitOffReexec({ STARPHLEET_AGENT_JIT: 'on' }, ['/b'], [], true), null, 'the JIT can be kept');
  t.equal(jitOffReexec({}, ['/b'], [], false), null, 'no execve (node): run as is');
  t.same(jitOffReexec({}, ['/bun', '/src/main.ts'], ['ship', 'run'], true)?.argv, ['/bun', '/src/main.ts', 'ship', 'run'], 'from a checkout: bun and the entry file');
});

// JSC reports a million DFG compiles for any function when its JIT is off (so
// that waiting for a compile never hangs); with the JIT on, a hot function is
// compiled once or a few times.
t.test('bun honours BUN_JSC_useJIT (the option the re-exec relies on)', async (t) => {
  const bun = fileURLToPath(new URL('../../../node_modules/.bin/bun', import.meta.url));
  const probe = 'const jsc=require("bun:jsc"); function f(x){return x*2+1} let s=0; for(let i=0;i<3e6;i++) s+=f(i); console.log(jsc.numberOfDFGCompiles(f))';
  const env = { ...process.env };
  delete env.BUN_JSC_useJIT;
  const on = spawnSync(bun, ['-e', probe], { encoding: 'utf8', env });
  const off = spawnSync(bun, ['-e', probe], { encoding: 'utf8', env: { ...env, BUN_JSC_useJIT: '0' } });
  t.ok(Number(on.stdout) < 1e6, `JIT on: ${on.stdout.trim()} compiles`);
  t.equal(Number(off.stdout), 1e6, 'JIT off');
});
