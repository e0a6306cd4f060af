import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/**
 * moto (`moto_server`, Python) for integration tests: one server per test
 * file on a free 127.0.0.1 port, emulating EC2, VPC, IAM, SQS, SNS, S3,
 * DynamoDB and more on one endpoint. Stopped by its process group.
 */

const COMMAND = 'moto_server';

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // Not in this one.
    }
  }
  return false;
}

export const HAS_MOTO = onPath(COMMAND);

/** Why the moto tests are skipped, for a console message; empty when they can run. */
export const NO_MOTO_REASON = HAS_MOTO ? '' : `moto tests skipped: ${COMMAND} is not on PATH (pip install 'moto[server]==5.2.1').`;

/**
 * What a server needs: AWS managed policies loaded (moto leaves them out
 * unless asked), and no AWS settings of the machine leaking in.
 */
const MOTO_ENV: Readonly<Record<string, string>> = { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' };

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export interface MotoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** The server's pid, which is also its process group. */
  readonly pid: number;
  /** Forgets every resource (moto's own reset call). */
  reset(): Promise<void>;
  /**
   * One call of an AWS Query API (IAM, SQS, SNS, EC2) in us-east-1, answered as XML; moto checks no
   * signature, so no SDK is needed. Rejects with the answer when moto refuses the call.
   */
  query(service: 'iam' | 'sqs' | 'sns' | 'ec2', action: string, params?: Readonly<Record<string, string>>): Promise<string>;
  /** Stops the server and everything it started; safe to call twice. */
  stop(): Promise<void>;
}

/** A port nobody listens on right now (another process may still take it first: start() retries). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts moto_server on 127.0.0.1 on a free port and resolves once it answers. */
export async function startMoto(): Promise<MotoServer> {
  if (!HAS_MOTO) throw new Error(NO_MOTO_REASON);
  let lastError: unknown;
  // A port taken between choosing it and moto binding it makes moto exit: try another.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await startOnce(await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(port: number): Promise<MotoServer> {
  const url = `http://127.0.0.1:${port}`;
  // detached: its own process group, so stop() reaches whatever the command started (pyenv shims exec python).
  const child: ChildProcess = spawn(COMMAND, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...MOTO_ENV },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  });
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (${code ?? signal})`;
      resolve();
    });
    child.once('error', (error) => {
      exited = error.message;
      resolve();
    });
  });
  const pid = child.pid;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped || pid === undefined) return;
    stopped = true;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {
        // The group is gone already.
      }
    };
    signal('SIGTERM');
    const until = Date.now() + STOP_TIMEOUT_MS;
    while (exited === undefined && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    // SIGKILL the group whatever happened: a child of the server must not outlive it.
    signal('SIGKILL');
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(url))) {
    if (exited !== undefined || pid === undefined) {
      await stop();
      throw new Error(`${COMMAND} on port ${port} ${exited ?? 'did not start'}: ${output.trim().slice(-1000)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${COMMAND} on port ${port} did not answer within ${START_TIMEOUT_MS / 1000}s: ${output.trim().slice(-1000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: pid!,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    async query(service, action, params = {}) {
      const response = await fetch(`${url}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          // moto reads the service and region from the credential scope.
          authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=none`,
        },
        body: new URLSearchParams({ Action: action, Version: QUERY_VERSIONS[service], ...params }).toString(),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`moto ${service} ${action} answered ${response.status}: ${text.slice(0, 500)}`);
      return text;
    },
    stop,
  };
}

const QUERY_VERSIONS = { iam: '2010-05-08', sqs: '2012-11-05', sns: '2010-03-31', ec2: '2016-11-15' } as const;

/** The text of every `<tag>…</tag>` in an XML answer, in order. */
export function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((match) => match[1]!);
}

/** Whether any process of the group `pid` is still alive (zombies included: they are reaped by us). */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return alive(pid);
  }
}
