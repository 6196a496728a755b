// The console: sign in with a token (checked by Riser before anything is shown), then chat
// and decide approvals. Everything here goes through Riser's public API, so a team can copy
// any part of it into its own front end.

import { ApprovalsPanel } from './approvals.js';
import { ChatPanel } from './chat.js';
import { byId } from './dom.js';
import { Live } from './live.js';
import { Session } from './session.js';

const EXPIRED = 'Your token expired. Sign in with a fresh one.';

let chat;
let approvals;
let live;

const session = new Session((reason) => showSignIn(reason));

function showSignIn(reason = '') {
  live?.close();
  chat?.close();
  approvals?.close();
  live = chat = approvals = undefined;
  byId('console-view').hidden = true;
  byId('sign-in-view').hidden = false;
  for (const id of ['who', 'link', 'sign-out']) byId(id).hidden = true;
  byId('sign-in-error').textContent = reason;
  byId('token').value = '';
  byId('token').focus();
}

function setLink(text, down = false) {
  const link = byId('link');
  link.hidden = false;
  link.textContent = text;
  link.classList.toggle('down', down);
}

async function enter() {
  const { api, me } = session;
  byId('sign-in-view').hidden = true;
  byId('console-view').hidden = false;
  byId('who').hidden = byId('sign-out').hidden = false;
  byId('who').textContent = `${me.sub} · ${me.tenant}${me.roles.length ? ` · ${me.roles.join(', ')}` : ''}`;
  chat = new ChatPanel(api);
  approvals = new ApprovalsPanel(api, me.sub, {
    onOpenThread: (threadId) => void chat.open(threadId),
    onDecided: (threadId, runId) => chat.resumed(threadId, runId),
  });
  // Whichever notices first (the socket, a refused request, the page's own timer), an
  // expired token reads the same on the sign-in form.
  const refused = (message) => session.end(session.expired() ? EXPIRED : `Signed out: ${message}`);
  const refreshApprovals = () => approvals?.refresh().catch((err) => (err.status === 401 ? refused(err.message) : undefined));
  if (api.isJwt) {
    setLink('Live: connecting…');
    live = new Live(api.credential, {
      connected: (first) => {
        setLink(first ? 'Live: connected' : 'Live: reconnected');
        void refreshApprovals();
      },
      lost: (reason) => setLink(`Live connection lost (${reason}): reconnecting…`, true),
      refused,
      expired: () => session.end(EXPIRED),
      requested: (payload) => approvals?.add(payload),
      decided: (payload) => {
        approvals?.decided(payload);
        chat?.resumed(payload.thread_id, payload.resume_run_id);
      },
    });
  } else {
    // Sockets take JWTs only: with an API key the list is read over HTTP every few seconds.
    setLink('Live updates need a JWT: refreshing every 5 s');
    void refreshApprovals();
    const timer = setInterval(() => (approvals ? void refreshApprovals() : clearInterval(timer)), 5000);
  }
  await chat.start().catch((err) => (byId('chat-error').textContent = `${err.code ?? 'error'}: ${err.message}`));
}

byId('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const credential = byId('token').value.trim();
  byId('sign-in-error').textContent = '';
  if (!credential) {
    byId('sign-in-error').textContent = 'Paste a token first.';
    return;
  }
  try {
    await session.signIn(credential);
  } catch (err) {
    byId('sign-in-error').textContent = `Refused (${err.code ?? 'error'}): ${err.message}`;
    return;
  }
  await enter();
});

byId('sign-out').addEventListener('click', () => session.end('Signed out.'));

// A token kept from earlier in this tab (a reload): checked again before it is used.
const stored = session.stored();
if (stored) {
  session.signIn(stored).then(enter, (err) => showSignIn(`Signed out: ${err.message}`));
} else {
  showSignIn();
}
