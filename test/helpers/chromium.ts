/**
 * Debian's Chromium, launched headless for the report screenshot tests (playwright-core drives it;
 * `.ci/run` installs it). The flags keep it off the network, which this machine closes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Launches headless Chromium (with `extraArgs`), failing with an install hint when it is missing. */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium is missing at ${CHROMIUM}: the screenshot tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
  );
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
