import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from './tools.js';
import type { KubeObject } from '../../operator/src/kube/types.js';
import { desiredChildren, type ClusterInput } from '../../operator/src/model/cluster.js';

/** The golden-file fixture shared by the model test and the API-server test. */
export const TESTDATA = join('operator', 'src', 'model', 'testdata');

export function fixtureCluster(): ClusterInput {
  return parse(readFileSync(join(repoRoot(), TESTDATA, 'cluster.yaml'), 'utf8')) as ClusterInput;
}

export function renderChildren(cluster: ClusterInput): string {
  return desiredChildren(cluster)
    .map((child) => stringify(child, { lineWidth: 0 }))
    .join('---\n');
}

export function goldenText(): string {
  return readFileSync(join(repoRoot(), TESTDATA, 'cluster.golden.yaml'), 'utf8');
}

export function writeGolden(text: string): void {
  writeFileSync(join(repoRoot(), TESTDATA, 'cluster.golden.yaml'), text);
}

export function parseDocuments(text: string): KubeObject[] {
  return text
    .split(/^---\n/m)
    .filter((doc) => doc.trim().length > 0)
    .map((doc) => parse(doc) as KubeObject);
}
