import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PYTHON_SDK_VERSION = '0.4.5';
/** Git-ignored (under node_modules), kept between runs: the second run only checks it. */
const VENV = resolve(__dirname, '../../node_modules/.cache/riser-py');
const PYTHON = resolve(VENV, 'bin/python');

export type PythonSdk = { python: string; notes: string[] } | { skip: string };

/**
 * A virtualenv with the Python `langgraph-sdk` for the Python SDK suite. `pip install
 * langgraph-sdk==0.4.5` first; where the package index lacks some of its dependencies (it
 * pulls `langchain-core`, which pulls `langchain-protocol`, for its new streaming protocol
 * only), the SDK is installed without them and the client paths' own (httpx, orjson,
 * websockets, langchain-core and what that needs) one by one. If `langchain-protocol` cannot
 * be had at all, a stand-in module providing the names it is imported for is written into
 * the venv — the classic run/thread client paths this suite drives never use them — and
 * the notes say so. Never throws: answers why it must skip instead.
 */
export async function pythonSdk(): Promise<PythonSdk> {
  const notes: string[] = [];
  if (await importsSdk()) return { python: PYTHON, notes: await shimNote(notes) };
  const system = await firstWorking(['python3', 'python']);
  if (!system) return { skip: 'no python3 on this machine' };
  try {
    mkdirSync(resolve(VENV, '..'), { recursive: true });
    if (!existsSync(PYTHON)) await run(system, ['-m', 'venv', VENV], { timeout: 120_000 });
  } catch (err) {
    return { skip: `python3 -m venv failed: ${(err as Error).message.split('\n')[0]}` };
  }
  const pip = (...args: string[]) => run(PYTHON, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--retries', '0', ...args], { timeout: 300_000 });
  try {
    await pip(`langgraph-sdk==${PYTHON_SDK_VERSION}`);
  } catch {
    notes.push(`pip could not install langgraph-sdk==${PYTHON_SDK_VERSION} with its dependencies; installed it with --no-deps and the client paths' dependencies`);
    try {
      await pip('--no-deps', `langgraph-sdk==${PYTHON_SDK_VERSION}`);
    } catch (err) {
      return { skip: `langgraph-sdk==${PYTHON_SDK_VERSION} cannot be installed here: ${lastLine(err)}` };
    }
    try {
      await pip('httpx>=0.25.2', 'orjson>=3.10.1', 'websockets>=14,<17');
      await pip('--no-deps', 'langchain-core>=1.4.0,<2');
      await pip('jsonpatch>=1.33,<2', 'langsmith>=0.3.45,<1', 'packaging>=23.2', 'pydantic>=2.7.4,<3', 'pyyaml>=5.3,<7', 'tenacity>=8.1,!=8.4.0,<10', 'typing-extensions>=4.7,<5', 'uuid-utils>=0.12,<1');
    } catch (err) {
      return { skip: `the Python SDK's dependencies cannot be installed here: ${lastLine(err)}` };
    }
    if (!(await canImport('langchain_protocol'))) {
      try {
        await pip('langchain-protocol>=0.0.17');
      } catch {
        await writeProtocolStandIn();
      }
    }
  }
  if (!(await importsSdk())) return { skip: `langgraph_sdk ${PYTHON_SDK_VERSION} does not import in ${VENV}` };
  return { python: PYTHON, notes: await shimNote(notes) };
}

async function importsSdk(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  try {
    const { stdout } = await run(PYTHON, ['-c', 'import langgraph_sdk, httpx; from langgraph_sdk import get_client, get_sync_client; print(langgraph_sdk.__version__)'], { timeout: 60_000 });
    return stdout.trim() === PYTHON_SDK_VERSION;
  } catch {
    return false;
  }
}

async function canImport(module: string): Promise<boolean> {
  return run(PYTHON, ['-c', `import ${module}`], { timeout: 60_000 }).then(
    () => true,
    () => false,
  );
}

async function firstWorking(candidates: string[]): Promise<string | undefined> {
  for (const candidate of candidates) {
    const ok = await run(candidate, ['-c', 'import venv, sys; assert sys.version_info >= (3, 10)'], { timeout: 30_000 }).then(
      () => true,
      () => false,
    );
    if (ok) return candidate;
  }
  return undefined;
}

const STAND_IN_MARK = 'RISER_STAND_IN';

/** `langchain_protocol` names as placeholder types: imported by the SDK's v2 streaming modules, unused by its run/thread clients. */
async function writeProtocolStandIn(): Promise<void> {
  const { stdout } = await run(PYTHON, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']);
  const dir = resolve(stdout.trim(), 'langchain_protocol');
  mkdirSync(dir, { recursive: true });
  const source = `"""${STAND_IN_MARK}: stand-in written by Riser's test support; langchain-protocol was not installable."""
from typing import Any


class _Name(dict):
    def __class_getitem__(cls, item: Any) -> Any:
        return cls


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return type(name, (_Name,), {})
`;
  writeFileSync(resolve(dir, '__init__.py'), source);
  writeFileSync(resolve(dir, 'protocol.py'), source);
}

async function shimNote(notes: string[]): Promise<string[]> {
  const { stdout } = await run(PYTHON, ['-c', 'import langchain_protocol; print((langchain_protocol.__doc__ or "")[:40])'], { timeout: 60_000 }).catch(() => ({ stdout: '' }));
  if (stdout.includes(STAND_IN_MARK)) notes.push('langchain-protocol is a stand-in (not installable here): only the import-time names the SDK needs');
  return notes;
}

function lastLine(err: unknown): string {
  const text = String((err as { stderr?: string }).stderr || (err as Error).message || err).trim();
  return text.split('\n').filter(Boolean).pop() ?? text;
}
