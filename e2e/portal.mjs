// End-to-end tests of the santepki web portal (issue 5): Playwright drives Debian's chromium
// through the main paths as people do, each logged in with a demo card given to the browser as a
// client certificate. Run by crates/santepki/tests/it/portal_e2e.rs against a running
// `santepki demo`; by hand:
//
//     node e2e/portal.mjs santepki-demo/demo.json
//
// Inputs (environment):
//   SANTEPKI_DEMO_JSON       the demo's demo.json (or the first argument)
//   SANTEPKI_E2E_ARTIFACTS   where the screenshots go (default: target/e2e-artifacts/)
//   SANTEPKI_CHROMIUM        the browser (default: /usr/bin/chromium, Debian's package)
//
// Scenarios, in this order (c revokes the certificate b ordered):
//   a. the vendor's administrator orders the DMP pair (ORG SIGN « DMP SIGNATURE », ORG AUTH_CLI
//      « DMP AUTHENTIFICATION », R29, R36) for the pharmacy with CSRs made by `openssl req` and
//      uploaded as files, downloads both certificates, `openssl verify` accepts both;
//   b. online key generation (R31): the PKCS#12 downloaded from the result page opens with
//      `openssl pkcs12` and the chosen passphrase only, and holds a certificate and its key;
//   c. revocation through the confirmation page: « Révoqué » in the product table (R33) and
//      `revoked` from the demo's OCSP responder (`openssl ocsp`);
//   d. a legal representative fills a form 413 and signs it in the portal (session signature,
//      R47), an operator validates it in the « File de validation » (R24), the form shows as
//      validated and the habilitation appears (R25).
//
// Exits 0 when every scenario passed; otherwise prints what failed, keeps a screenshot of the
// failing page (`<scenario>-FAILED.png`) and exits 1.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);

function die(message) {
  console.error(`[e2e] FAILED: ${message}`);
  process.exit(1);
}

const demoJson = process.env.SANTEPKI_DEMO_JSON || process.argv[2];
if (!demoJson) die('no demo facts: set SANTEPKI_DEMO_JSON or pass the path of santepki-demo/demo.json');
let facts;
try {
  facts = JSON.parse(fs.readFileSync(demoJson, 'utf8'));
} catch (e) {
  die(`cannot read the demo facts ${demoJson}: ${e.message}`);
}
for (const key of ['portal_url', 'portal_certificate', 'http_url', 'ca_bundle', 'cards']) {
  if (!facts[key]) die(`${demoJson} has no ${key} (is the demo running with its HTTPS portal?)`);
}

// Trust the portal's self-signed certificate, no ignoreHTTPSErrors. With client certificates,
// Playwright's own proxy (in this Node process) makes the TLS connection to the portal and checks
// the server's certificate with Node's CA store, which NODE_EXTRA_CA_CERTS extends; it is only
// read at start-up, so start again with it when it is not set.
if (process.env.NODE_EXTRA_CA_CERTS !== facts.portal_certificate) {
  const r = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, SANTEPKI_DEMO_JSON: demoJson, NODE_EXTRA_CA_CERTS: facts.portal_certificate },
  });
  process.exit(r.status ?? 1);
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  die(`playwright-core is not installed in ${HERE}/node_modules (${e.message}); run scripts/install-deps.sh`);
}
const CHROMIUM = process.env.SANTEPKI_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) die(`no browser at ${CHROMIUM}; run scripts/install-deps.sh (Debian package chromium)`);

const ARTIFACTS = path.resolve(process.env.SANTEPKI_E2E_ARTIFACTS || path.join(REPO, 'target', 'e2e-artifacts'));
fs.mkdirSync(ARTIFACTS, { recursive: true });
// Screenshots of an earlier run would be mistaken for this one's (only our own names are removed).
for (const f of fs.readdirSync(ARTIFACTS)) {
  if (/^[a-d]-[a-z0-9-]+\.png$/i.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
}
// Keys, CSRs and downloads: a throw-away folder, removed at the end.
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'santepki-e2e-'));

const PORTAL = facts.portal_url.replace(/\/$/, '');
const card = (number) => facts.cards.find((c) => c.card_number === number) || die(`demo.json has no card ${number}`);
const ADMIN = card('2000000103'); // the vendor's technical administrator (CPA), habilitated for both structures
const OPERATOR = card('2000000101'); // the agency's operator (CPE)
const PHARMACIST = card('8000000010'); // legal representative of the PHARMACIE DU CENTRE
const PHARMACY = { id: '1750900029', name: 'PHARMACIE DU CENTRE' };
const LBM = { id: '1330900028', name: 'LABORATOIRE BIOLOGIE DU LITTORAL BORDEAUX' };

const log = (m) => console.log(`[e2e] ${m}`);

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/// Runs a command; its stdout, or an error with its output.
function run(cmd, args, { ok = true } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: WORK });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (ok && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${r.stdout}${r.stderr}`);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Browser helpers

let browser;
const current = { scenario: 'setup', page: null, shots: 0 };

async function session(scenario, cardFacts) {
  current.scenario = scenario;
  current.shots = 0;
  const context = await browser.newContext({
    clientCertificates: [{ origin: PORTAL, certPath: cardFacts.cert_pem, keyPath: cardFacts.key_pem }],
    acceptDownloads: true,
    locale: 'fr-FR',
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(60_000);
  const page = await context.newPage();
  current.page = page;
  return { context, page };
}

async function shot(page, step) {
  current.shots += 1;
  const file = path.join(ARTIFACTS, `${current.scenario}-${String(current.shots).padStart(2, '0')}-${step}.png`);
  await page.screenshot({ path: file, fullPage: true });
  log(`  screenshot ${path.relative(REPO, file)}`);
}

/// The final (non-redirect) response of the main frame's navigation that `action` starts,
/// checked against the expected status; the page's machine reason (`santepki-error`) and title
/// go in the error.
async function navigate(page, action, { status = 200 } = {}) {
  const final = page.waitForResponse((r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !(r.status() >= 300 && r.status() < 400));
  await action();
  const response = await final;
  await page.waitForLoadState('load');
  await audit(page, response);
  if (response.status() !== status) {
    const reason = (await page.locator('meta[name="santepki-error"]').count()) ? await page.locator('meta[name="santepki-error"]').getAttribute('content') : null;
    const h1 = (await page.locator('h1').count()) ? await page.locator('h1').first().innerText() : '';
    const main = (await page.locator('main').count()) ? (await page.locator('main').innerText()).slice(0, 600) : '';
    throw new Error(`${response.request().method()} ${response.url()} answered ${response.status()}${reason ? ` (${reason})` : ''}, expected ${status}: « ${h1} »\n${main}`);
  }
  return response;
}

/// What every portal page promises (docs/portal.md, « Accessibility »), checked on each page the
/// scenarios reach: French, one <h1>, a label for every field, and every error message tied to
/// its field (`aria-describedby`), every `aria-invalid` field pointing at its message.
async function audit(page, response) {
  if (!(response.headers()['content-type'] || '').startsWith('text/html')) return;
  const problems = await page.evaluate(() => {
    const out = [];
    const name = (el) => `<${el.tagName.toLowerCase()}${el.id ? ` id="${el.id}"` : ''}${el.name ? ` name="${el.name}"` : ''}>`;
    if (document.documentElement.lang !== 'fr') out.push(`<html lang="${document.documentElement.lang}">, expected fr`);
    const h1 = document.querySelectorAll('h1').length;
    if (h1 !== 1) out.push(`${h1} <h1> elements`);
    const describedBy = new Map();
    for (const el of document.querySelectorAll('[aria-describedby]')) {
      for (const id of el.getAttribute('aria-describedby').split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) out.push(`${name(el)} aria-describedby names a missing id « ${id} »`);
        describedBy.set(id, [...(describedBy.get(id) || []), el]);
      }
    }
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden') continue;
      if (el.labels.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) out.push(`${name(el)} has no label`);
      if (el.getAttribute('aria-invalid') === 'true') {
        const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/);
        if (!ids.some((id) => document.getElementById(id)?.classList.contains('field-error'))) out.push(`${name(el)} is aria-invalid but not described by its error message`);
      }
    }
    for (const e of document.querySelectorAll('.field-error')) {
      if (!e.id || !describedBy.has(e.id)) out.push(`the error « ${e.textContent.trim()} » is tied to no field (no aria-describedby names ${e.id ? `« ${e.id} »` : 'it: it has no id'})`);
    }
    return out;
  });
  check(problems.length === 0, `accessibility of ${page.url()}:\n  - ${problems.join('\n  - ')}`);
}

const goto = (page, route, opts) => navigate(page, () => page.goto(`${PORTAL}${route}`), opts);
const click = (page, locator, opts) => navigate(page, () => locator.click(), opts);
const next = (page, opts) => click(page, page.getByRole('button', { name: 'Étape suivante' }), opts);

async function heading(page) {
  return (await page.getByRole('heading', { level: 1 }).innerText()).trim();
}

async function expectHeading(page, expected) {
  const h = await heading(page);
  check(expected instanceof RegExp ? expected.test(h) : h === expected, `the page's heading is « ${h} », expected « ${expected} »`);
  return h;
}

/// Which step of the R28 wizard the page shows (`aria-current="step"`).
async function wizardStep(page, expected) {
  const s = (await page.locator('ol.steps li[aria-current="step"]').innerText()).trim();
  check(s === expected, `the wizard shows the step « ${s} », expected « ${expected} »`);
}

/// Clicks a download link; the saved file's path.
async function download(page, link, file) {
  const [d] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const failure = await d.failure();
  check(!failure, `download of ${d.url().slice(0, 80)} failed: ${failure}`);
  const target = path.join(WORK, file || d.suggestedFilename());
  await d.saveAs(target);
  check(fs.statSync(target).size > 0, `the download ${d.suggestedFilename()} is empty`);
  log(`  downloaded ${d.suggestedFilename()} (${fs.statSync(target).size} bytes)`);
  return { path: target, suggested: d.suggestedFilename() };
}

/// Whether the page's first table (on « Mes habilitations »: the card's habilitations) shows a text.
async function firstTableIncludes(page, text) {
  return (await page.locator('main table').first().innerText()).includes(text);
}

/// The product table's row of a product number (its link in the row header).
function productRow(page, number) {
  return page.getByRole('row').filter({ has: page.getByRole('link', { name: number, exact: true }) });
}

// ---------------------------------------------------------------------------------------------
// PKI helpers (openssl)

function pemBlocks(file) {
  return fs.readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) || [];
}

function subjectOf(file) {
  return run('openssl', ['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253']).stdout.trim();
}

function publicKeyOfCert(file) {
  return run('openssl', ['x509', '-in', file, '-noout', '-pubkey']).stdout;
}

function publicKeyOfKey(file) {
  return run('openssl', ['pkey', '-in', file, '-pubout']).stdout;
}

/// The OCSP status of a certificate (`good`, `revoked`, `unknown`) from the responder its AIA
/// names, on the demo's HTTP listener; the response must verify against the CA bundle.
function ocspStatus(certFile, issuerFile) {
  const aia = run('openssl', ['x509', '-in', certFile, '-noout', '-ocsp_uri']).stdout.trim();
  check(aia.startsWith('http://'), `the certificate names no OCSP responder in its AIA (« ${aia} »)`);
  // The demo started on free ports (127.0.0.1:0) names port 0 in the URLs it writes in
  // certificates; the responder's path is the AIA's, its address the one demo.json gives.
  const fromAia = new URL(aia);
  const http = new URL(facts.http_url);
  const url = fromAia.host === http.host ? aia : `${http.origin}${fromAia.pathname}`;
  const r = run('openssl', ['ocsp', '-issuer', issuerFile, '-cert', certFile, '-url', url, '-CAfile', facts.ca_bundle, '-resp_text'], { ok: false });
  const out = `${r.stdout}\n${r.stderr}`;
  check(r.status === 0, `openssl ocsp against ${url} failed:\n${out}`);
  check(/Response verify OK/.test(out), `the OCSP response from ${url} does not verify against the CA bundle:\n${out}`);
  const m = out.match(new RegExp(`${certFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (good|revoked|unknown)`));
  check(m, `no status in the OCSP answer:\n${out}`);
  return { status: m[1], url, text: out };
}

/// Splits a downloaded PEM chain into leaf.pem and issuer.pem.
function splitChain(chainFile, prefix) {
  const blocks = pemBlocks(chainFile);
  check(blocks.length >= 2, `${path.basename(chainFile)} holds ${blocks.length} certificate(s), expected the certificate and its chain`);
  const leaf = path.join(WORK, `${prefix}.leaf.pem`);
  const issuer = path.join(WORK, `${prefix}.issuer.pem`);
  fs.writeFileSync(leaf, blocks[0]);
  fs.writeFileSync(issuer, blocks[1]);
  return { leaf, issuer };
}

// ---------------------------------------------------------------------------------------------
// The wizard (R28), as the administrator fills it

async function orderWizard(page, { offer, structure, search, service, email, key, mistakes = false }) {
  await click(page, page.getByRole('navigation', { name: 'Navigation principale' }).getByRole('link', { name: 'Commander' }));
  await expectHeading(page, 'Commander un certificat');
  await wizardStep(page, 'Offre');
  await page.getByRole('radio', { name: offer }).check();
  await next(page);

  await wizardStep(page, 'Structure');
  if (mistakes) {
    // No structure chosen: the step comes back with the message next to the choices.
    await next(page, { status: 400 });
    await wizardStep(page, 'Structure');
    check(await page.locator('.field-error').count() === 1, 'no message next to the structure choices');
    await shot(page, 'no-structure');
  }
  if (search) {
    await page.getByLabel('Rechercher par nom ou identifiant').fill(search);
    await click(page, page.getByRole('button', { name: 'Rechercher' }));
    await wizardStep(page, 'Structure');
    check((await page.getByRole('radio').count()) === 1, `the search « ${search} » should leave one structure`);
  }
  await page.getByRole('radio', { name: `${structure.name} — ${structure.id}` }).check();
  await next(page);

  await wizardStep(page, 'Nouveau ou renouvellement');
  await page.getByRole('radio', { name: 'Nouveau produit' }).check();
  await next(page);

  await wizardStep(page, 'Usage et informations');
  await page.getByLabel('Service applicatif (devient le CN du certificat, R29)').fill(service);
  await next(page);

  await wizardStep(page, 'Contacts');
  await page.getByLabel("Email de l'acteur (obligatoire)").fill(email);
  await next(page);

  await wizardStep(page, 'Clé : CSR ou génération');
  if (mistakes) {
    // « CSR » chosen but no file and nothing pasted (R31).
    await page.getByRole('radio', { name: 'Je fournis une CSR (PKCS#10)' }).check();
    await next(page, { status: 400 });
    await wizardStep(page, 'Clé : CSR ou génération');
    check((await page.getByLabel('ou CSR collée au format PEM').getAttribute('aria-invalid')) === 'true', 'the CSR field is not marked aria-invalid');
    await shot(page, 'no-csr');
  }
  if (key.csr) {
    await page.getByRole('radio', { name: 'Je fournis une CSR (PKCS#10)' }).check();
    await page.getByLabel('Fichier de la CSR (.csr, .pem ou .der)').setInputFiles(key.csr);
  } else {
    await page.getByRole('radio', { name: /^Générer la clé en ligne/ }).check();
    await page.getByLabel('Algorithme de la clé générée').selectOption({ label: key.algorithm });
  }
  await next(page);

  await wizardStep(page, 'Finalisation');
  const summary = page.getByRole('table', { name: 'Récapitulatif de la commande' });
  const text = await summary.innerText();
  for (const expected of [service, structure.id, email, key.csr ? 'CSR fournie' : 'générée en ligne']) {
    check(text.includes(expected), `the summary lacks « ${expected} »:\n${text}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const state = {};

async function scenarioA() {
  const { context, page } = await session('a-dmp-pair', ADMIN);
  await goto(page, '/portail');
  await expectHeading(page, 'Mes habilitations');
  check(await firstTableIncludes(page, PHARMACY.id), 'the administrator is not habilitated for the pharmacy');
  await shot(page, 'habilitations');

  for (const [offer, profile, service] of [
    [/^ORG SIGN —/, 'org-sign', 'DMP SIGNATURE'],
    [/^ORG AUTH_CLI —/, 'org-auth-cli', 'DMP AUTHENTIFICATION'],
  ]) {
    log(`  ordering ${profile} « ${service} » with an uploaded CSR`);
    const keyFile = path.join(WORK, `${profile}.key`);
    const csrFile = path.join(WORK, `${profile}.csr`);
    run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=ignored by the CA', '-keyout', keyFile, '-out', csrFile]);
    await orderWizard(page, { offer, structure: PHARMACY, service, email: 'alice.admin@editeur-demo.example', key: { csr: csrFile } });
    await shot(page, `${profile}-summary`);
    await click(page, page.getByRole('button', { name: 'Confirmer la commande' }));
    const h = await expectHeading(page, /^Produit \S+$/);
    const number = h.replace(/^Produit /, '');
    check((await page.getByRole('status').innerText()).includes('Votre commande est enregistrée'), 'no confirmation message on the product page');
    const details = await page.locator('main').innerText();
    check(details.includes(service) && details.includes(PHARMACY.id), `the product page does not show ${service} for ${PHARMACY.id}`);
    await shot(page, `${profile}-product`);

    const chain = await download(page, page.getByRole('link', { name: 'Certificat et chaîne (PEM)' }), `${profile}.chain.pem`);
    check(chain.suggested === `${number}.pem`, `the PEM download is named ${chain.suggested}, expected ${number}.pem`);
    check(pemBlocks(chain.path).length >= 2, `${profile}: the PEM download should hold the certificate and its chain`);
    const v = run('openssl', ['verify', '-CAfile', facts.ca_bundle, chain.path], { ok: false });
    check(v.status === 0, `openssl verify refuses the ${profile} certificate:\n${v.stdout}${v.stderr}`);
    const { leaf } = splitChain(chain.path, profile);
    check(subjectOf(leaf).includes(`CN=${service}`), `${profile}: subject ${subjectOf(leaf)} does not carry the service applicatif as CN (R29)`);
    check(publicKeyOfCert(leaf) === publicKeyOfKey(keyFile), `${profile}: the certificate is not for the CSR's key`);
    const der = await download(page, page.getByRole('link', { name: 'Certificat seul (DER)' }), `${profile}.cer`);
    run('openssl', ['x509', '-inform', 'DER', '-in', der.path, '-noout']);
    log(`  ${number}: ${subjectOf(leaf)} — openssl verify OK`);
  }

  // Both in the product table, and the pharmacy's DMP pair is complete (R36).
  await click(page, page.getByRole('link', { name: 'Mes produits' }));
  await page.getByLabel('Structure').selectOption(PHARMACY.id);
  await click(page, page.getByRole('button', { name: 'Filtrer' }));
  const table = await page.getByRole('table', { name: /^Mes produits/ }).innerText();
  check(table.includes('DMP SIGNATURE') && table.includes('DMP AUTHENTIFICATION'), `the product table lacks the DMP pair:\n${table}`);
  await shot(page, 'products');
  await goto(page, `/portail/structures/${PHARMACY.id}/doctrine`);
  const pair = page.locator('tr[data-code="dmp-pair"]');
  check((await pair.innerText()).includes('Conforme'), `the doctrine checklist does not find the DMP pair complete: ${await pair.innerText()}`);
  await shot(page, 'doctrine');
  await context.close();
}

async function scenarioB() {
  const { context, page } = await session('b-online-generation', ADMIN);
  const passphrase = 'une phrase secrète de test';
  await goto(page, '/portail');
  await orderWizard(page, { offer: /^ORG AUTH_CLI —/, structure: LBM, search: 'littoral', service: 'INSI-AUTO', email: 'alice.admin@editeur-demo.example', key: { algorithm: 'RSA 2048' }, mistakes: true });
  await shot(page, 'summary');

  // Two different entries: refused next to the field, nothing ordered.
  await page.getByLabel('Phrase secrète', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirmation de la phrase secrète').fill('une autre phrase');
  await click(page, page.getByRole('button', { name: 'Confirmer la commande' }), { status: 400 });
  const confirmation = page.getByLabel('Confirmation de la phrase secrète');
  check((await confirmation.getAttribute('aria-invalid')) === 'true', 'the confirmation field is not marked aria-invalid');
  check((await page.getByRole('alert').first().innerText()).includes('corrigée'), 'no error summary');
  check((await page.getByLabel('Phrase secrète', { exact: true }).inputValue()) === '', 'the passphrase was written back into the page');
  await shot(page, 'passphrase-mismatch');

  await page.getByLabel('Phrase secrète', { exact: true }).fill(passphrase);
  await confirmation.fill(passphrase);
  await click(page, page.getByRole('button', { name: 'Confirmer la commande' }), { status: 201 });
  await expectHeading(page, 'Certificat émis');
  const link = page.getByRole('link', { name: /^Télécharger .*\.p12/ });
  const number = (await link.innerText()).match(/Télécharger (\S+)\.p12/)[1];
  await shot(page, 'issued');
  const p12 = await download(page, link, 'generated.p12');
  check(p12.suggested === `${number}.p12`, `the PKCS#12 is named ${p12.suggested}, expected ${number}.p12`);

  const opened = run('openssl', ['pkcs12', '-in', p12.path, '-passin', `pass:${passphrase}`, '-nodes'], { ok: false });
  check(opened.status === 0, `openssl pkcs12 does not open the download with the chosen passphrase:\n${opened.stderr}`);
  check(/-----BEGIN CERTIFICATE-----/.test(opened.stdout), 'the PKCS#12 holds no certificate');
  check(/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(opened.stdout), 'the PKCS#12 holds no private key');
  const certFile = path.join(WORK, 'generated.crt.pem');
  const keyFile = path.join(WORK, 'generated.key.pem');
  fs.writeFileSync(certFile, run('openssl', ['pkcs12', '-in', p12.path, '-passin', `pass:${passphrase}`, '-nokeys', '-clcerts']).stdout);
  fs.writeFileSync(keyFile, run('openssl', ['pkcs12', '-in', p12.path, '-passin', `pass:${passphrase}`, '-nocerts', '-nodes']).stdout, { mode: 0o600 });
  check(subjectOf(certFile).includes('CN=INSI-AUTO'), `the generated certificate's subject is ${subjectOf(certFile)}`);
  check(publicKeyOfCert(certFile) === publicKeyOfKey(keyFile), 'the PKCS#12 key does not match its certificate');
  const wrong = run('openssl', ['pkcs12', '-in', p12.path, '-passin', 'pass:not the passphrase', '-nokeys'], { ok: false });
  check(wrong.status !== 0, 'openssl pkcs12 opened the PKCS#12 with a wrong passphrase');
  log(`  ${number}: PKCS#12 opened with the chosen passphrase — ${subjectOf(certFile)}`);

  await click(page, page.getByRole('link', { name: `Voir le produit ${number}` }));
  await expectHeading(page, `Produit ${number}`);
  check((await page.locator('main').innerText()).includes('générée en ligne'), 'the product page does not say the key was generated online');
  await shot(page, 'product');
  state.generated = number;
  await context.close();
}

async function scenarioC() {
  check(state.generated, 'scenario b ordered nothing to revoke');
  const number = state.generated;
  const { context, page } = await session('c-revocation', ADMIN);
  await goto(page, '/portail');
  await click(page, page.getByRole('link', { name: 'Mes produits' }));
  await page.getByLabel('Recherche libre').fill(number);
  await click(page, page.getByRole('button', { name: 'Filtrer' }));
  check((await productRow(page, number).count()) === 1, `the product table does not list ${number}`);
  await click(page, productRow(page, number).getByRole('link', { name: number, exact: true }));
  await expectHeading(page, `Produit ${number}`);

  // The certificate and its issuer from the product page; OCSP says good before the revocation.
  const chain = await download(page, page.getByRole('link', { name: 'Certificat et chaîne (PEM)' }), 'revoked.chain.pem');
  const { leaf, issuer } = splitChain(chain.path, 'revoked');
  const before = ocspStatus(leaf, issuer);
  check(before.status === 'good', `OCSP says ${before.status} before the revocation:\n${before.text}`);
  log(`  OCSP ${before.url}: good before the revocation`);

  await click(page, page.getByRole('link', { name: 'Révoquer…' }));
  await expectHeading(page, `Révoquer le produit ${number}`);
  check((await page.locator('main').innerText()).includes('définitive'), 'the confirmation page does not warn that revocation is final');
  await page.getByLabel('Motif de la révocation (obligatoire)').selectOption({ label: 'Compromission de la clé privée' });
  await shot(page, 'confirmation');
  await click(page, page.getByRole('button', { name: 'Confirmer la révocation' }));
  await expectHeading(page, `Produit ${number}`);
  check((await page.getByRole('status').innerText()).includes('révoqué'), 'no revocation notice on the product page');
  check((await page.getByRole('link', { name: 'Révoquer…' }).count()) === 0, 'a revoked product still offers revocation');
  await shot(page, 'revoked-product');

  // R33: the table's columns, and the product's state.
  await click(page, page.getByRole('link', { name: 'Mes produits' }));
  await page.getByLabel('État').selectOption({ label: 'Révoqué' });
  await click(page, page.getByRole('button', { name: 'Filtrer' }));
  for (const column of ['Canal', 'N° de produit', 'Offre', 'Usage', 'Bénéficiaire', 'Service applicatif', "Email de l'acteur", 'Demandeur', 'État']) {
    check((await page.getByRole('columnheader', { name: column, exact: false }).count()) >= 1, `the product table has no « ${column} » column (R33)`);
  }
  const row = productRow(page, number);
  check((await row.count()) === 1, `the filter « Révoqué » does not list ${number}`);
  const cells = await row.getByRole('cell').allInnerTexts();
  check(cells.includes('Révoqué'), `the row of ${number} does not say « Révoqué »: ${cells.join(' | ')}`);
  check(cells.includes('INSI-AUTO') && cells.some((c) => c.includes(LBM.id)), `the row of ${number}: ${cells.join(' | ')}`);
  await shot(page, 'products-revoked');

  // The demo's OCSP responder: revoked, with the reason chosen (a few seconds of responder cache
  // at most, by design).
  let after;
  for (let i = 0; i < 10; i += 1) {
    after = ocspStatus(leaf, issuer);
    if (after.status === 'revoked') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  check(after.status === 'revoked', `OCSP still says ${after.status} after the revocation:\n${after.text}`);
  check(/keyCompromise/i.test(after.text), `the OCSP answer does not give the reason keyCompromise:\n${after.text}`);
  log(`  OCSP ${after.url}: revoked (keyCompromise)`);
  await context.close();
}

async function scenarioD() {
  // The pharmacist, legal representative of the pharmacy, names herself technical administrator.
  const [first, ...rest] = PHARMACIST.name.split(' ');
  const last = rest.join(' ');
  const lr = await session('d-form-413', PHARMACIST);
  let page = lr.page;
  await goto(page, '/portail');
  await expectHeading(page, 'Mes habilitations');
  check(!(await firstTableIncludes(page, PHARMACY.id)), 'the pharmacist is already habilitated for the pharmacy: the scenarios expect a demo folder created for them');
  await click(page, page.getByRole('link', { name: 'Formulaires 413' }));
  await click(page, page.getByRole('link', { name: 'Remplir un formulaire 413' }));
  await expectHeading(page, 'Nouveau formulaire 413');
  await page.getByLabel("Pré-remplir depuis l'annuaire (idNat_Struct, R26)").fill(PHARMACY.id);
  await click(page, page.getByRole('button', { name: 'Pré-remplir' }));
  check((await page.getByLabel('Identifiant(s) de la structure (un par ligne)').inputValue()).includes(PHARMACY.id), 'the directory did not pre-fill the identifier (R26)');
  check((await page.getByLabel('Cas de la structure').inputValue()) !== '', 'the directory did not pre-fill the case (R26)');

  const signer = page.getByRole('group', { name: '3.2 Le signataire (R20)' });
  await signer.getByLabel('Qualité').selectOption({ label: 'Représentant légal' });
  await signer.getByLabel('Nom', { exact: true }).fill(last);
  await signer.getByLabel('Prénoms').fill(first);
  await signer.getByLabel('Téléphone').fill('0102030405');
  await signer.getByLabel('Email professionnel').fill('claire.fontanel@pharmacie-du-centre.example');
  await signer.getByLabel('N° de carte (10 chiffres)').fill(PHARMACIST.card_number);
  const admin = page.getByRole('group', { name: "4.1 L'administrateur technique (R21)" });
  check((await admin.getByLabel('N° de carte').inputValue()) === PHARMACIST.card_number, 'the card holder is not pre-filled as administrator');
  await admin.getByLabel('Téléphone').fill('0102030405');
  await admin.getByLabel('Email professionnel').fill('claire.fontanel@pharmacie-du-centre.example');
  const usage = page.getByRole('group', { name: '4.2 Usage (R22)' });
  await usage.getByLabel("Description de l'usage").fill('Authentification et signature sur le DMP');
  await usage.getByLabel('Éditeur').fill('EDITEUR DEMO');
  await usage.getByLabel('Solution').fill('LOGICIEL DEMO');
  await usage.getByLabel('Version').fill('1.0');
  check(await page.getByRole('checkbox', { name: 'ORG (personne morale)' }).isChecked(), 'the ORG offer is not ticked');
  await shot(page, 'form-filled');
  await click(page, page.getByRole('button', { name: 'Préparer le formulaire' }));
  await expectHeading(page, 'Formulaire 413');
  check((await page.locator('main').innerText()).includes('En attente de signature'), 'the prepared form does not wait for its signature');
  await shot(page, 'form-prepared');

  await click(page, page.getByRole('button', { name: 'Signer le formulaire' }));
  const title = await expectHeading(page, /^Formulaire 413 413-\d{4}-\d{6}$/);
  const reference = title.replace('Formulaire 413 ', '');
  check((await page.locator('main').innerText()).includes('Signé, accusé de réception envoyé'), 'the signed form is not acknowledged (R24)');
  const formUrl = page.url();
  await shot(page, 'form-signed');
  log(`  form 413 ${reference} signed by session (R47)`);

  // The operator's queue.
  const op = await session('d-form-413', OPERATOR);
  current.shots = 10;
  page = op.page;
  await goto(page, '/portail');
  await click(page, page.getByRole('link', { name: 'File de validation' }));
  await expectHeading(page, 'File de validation');
  check((await page.getByRole('link', { name: reference }).count()) === 1, `the queue does not list ${reference}`);
  await shot(page, 'queue');
  await click(page, page.getByRole('link', { name: reference }));
  await expectHeading(page, `Formulaire 413 ${reference}`);
  await page.getByRole('radio', { name: /^Valider/ }).check();
  await shot(page, 'decision');
  await click(page, page.getByRole('button', { name: 'Enregistrer la décision' }));
  await expectHeading(page, 'File de validation');
  check((await page.getByRole('link', { name: reference }).count()) === 0, `${reference} is still in the queue after its validation`);
  await shot(page, 'queue-after');
  await op.context.close();

  // Back to the legal representative: validated, and the habilitation is there (R25).
  current.scenario = 'd-form-413';
  current.shots = 20;
  page = lr.page;
  current.page = page;
  await goto(page, new URL(formUrl).pathname);
  check((await page.locator('main').innerText()).includes('Validé'), 'the form does not show as validated');
  await shot(page, 'form-validated');
  await click(page, page.getByRole('link', { name: 'Mes habilitations' }));
  const row = page.getByRole('row').filter({ hasText: PHARMACY.id });
  check((await row.count()) === 1, 'the new habilitation is not listed');
  const cells = await row.allInnerTexts();
  check(cells[0].includes(PHARMACY.name) && cells[0].includes('Active'), `the habilitation row: ${cells[0]}`);
  await shot(page, 'habilitation');
  log(`  ${reference} validated: ${PHARMACIST.name} is habilitated for ${PHARMACY.id} (R25)`);
  await lr.context.close();
}

// ---------------------------------------------------------------------------------------------

const SCENARIOS = [
  ['a-dmp-pair', 'the vendor administrator orders the DMP pair with uploaded CSRs', scenarioA],
  ['b-online-generation', 'online key generation, PKCS#12 opened by openssl', scenarioB],
  ['c-revocation', 'revocation: the product table and OCSP', scenarioC],
  ['d-form-413', 'a form 413 signed in the portal and validated by an operator', scenarioD],
];

const started = Date.now();
let failed = false;
try {
  const args = ['--disable-dev-shm-usage'];
  // Chromium's sandbox cannot start as root (CI runs as root).
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  browser = await chromium.launch({ executablePath: CHROMIUM, args, timeout: 60_000 });
  log(`${CHROMIUM} ${browser.version()}; portal ${PORTAL}; screenshots in ${ARTIFACTS}`);
  for (const [name, what, scenario] of SCENARIOS) {
    const t = Date.now();
    log(`scenario ${name}: ${what}`);
    await scenario();
    log(`scenario ${name}: passed (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
} catch (e) {
  failed = true;
  console.error(`[e2e] FAILED in scenario ${current.scenario}: ${e.stack || e}`);
  if (current.page && !current.page.isClosed()) {
    const file = path.join(ARTIFACTS, `${current.scenario}-FAILED.png`);
    try {
      console.error(`[e2e] failing page: ${current.page.url()}`);
      await current.page.screenshot({ path: file, fullPage: true });
      console.error(`[e2e] screenshot of the failing page: ${file}`);
    } catch (s) {
      console.error(`[e2e] no screenshot of the failing page: ${s.message}`);
    }
  }
} finally {
  await browser?.close().catch(() => {});
  fs.rmSync(WORK, { recursive: true, force: true });
}
if (failed) process.exit(1);
log(`all ${SCENARIOS.length} scenarios passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
