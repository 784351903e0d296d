import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toYAML } from './yaml.js';

const doc = {
  apiVersion: 'batch/v1',
  metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'lab', 'needs quoting': 'yes' } },
  spec: {
    completions: 3,
    suspend: false,
    containers: [
      { name: 'w', command: ['node', '--shard', '$(JOB_COMPLETION_INDEX)/3', 'null', '1e3'], env: [] },
      { name: 'v', args: [[1, 2], {}] },
    ],
  },
};

describe('toYAML', () => {
  it('writes block YAML with every string JSON-quoted', () => {
    expect(toYAML([doc, { kind: 'Job' }])).toBe(
      [
        'apiVersion: "batch/v1"',
        'metadata:',
        '  name: "x"',
        '  labels:',
        '    app.kubernetes.io/name: "lab"',
        '    "needs quoting": "yes"',
        'spec:',
        '  completions: 3',
        '  suspend: false',
        '  containers:',
        '    - name: "w"',
        '      command:',
        '        - "node"',
        '        - "--shard"',
        '        - "$(JOB_COMPLETION_INDEX)/3"',
        '        - "null"',
        '        - "1e3"',
        '      env: []',
        '    - name: "v"',
        '      args:',
        '        - - 1',
        '          - 2',
        '        - {}',
        '---',
        'kind: "Job"',
        '',
      ].join('\n'),
    );
  });

  it('reads back as the same value where a YAML parser is at hand (python3 -c "import yaml")', (ctx) => {
    const py = spawnSync(
      'python3',
      ['-c', 'import sys, json, yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin))))'],
      { input: toYAML([doc]), encoding: 'utf8' },
    );
    if (py.status !== 0) {
      console.log('skipped: no python3 with PyYAML to read the YAML back');
      ctx.skip();
    }
    expect(JSON.parse(py.stdout)).toEqual([doc]);
  });
});
