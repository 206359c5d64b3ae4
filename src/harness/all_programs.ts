/*
 * Every module that registers CPU programs (registerProgram), imported for
 * its side effect by workers/cpu.ts so that every worker knows every
 * program.  Add one line per module.
 */
import './torture.js';
import './swap_mix.js';
import './stress_cpu.js';
import './swapcache_rcu_torture.js';
import './sched_selftest.js';
import './scenario_cpu.js';
import './blk_completion.js';
import './explore_ops.js';
