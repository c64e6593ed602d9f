// The long-polling chat room page: long-polls /poll?since=N and POSTs to /msg.
import { chatLayout } from './chat-layout.mjs';

export const chatPage = chatLayout({
  title: 'http-kit long-polling chat',
  heading: 'Long-polling chat',
  transport: `  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  async function poll() {
    for (;;) {
      try {
        const request = fetch('/poll?since=' + lastId, { cache: 'no-store' });
        status.textContent = 'connected (long polling)';
        const res = await request;
        if (res.ok) {
          show(await res.json());
          continue;
        }
        status.textContent = 'server answered ' + res.status + ', retrying…';
      } catch {
        status.textContent = 'reconnecting…';
      }
      await pause(1000);
    }
  }
  document.getElementById('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = document.getElementById('text');
    if (!text.value.trim()) return;
    const body = new URLSearchParams({ name: document.getElementById('name').value, text: text.value, from: me });
    const typed = text.value;
    text.value = '';
    try {
      const res = await fetch('/msg', { method: 'POST', body });
      if (!res.ok) throw new Error('status ' + res.status);
    } catch (error) {
      text.value = typed; // give the message back to retry
      status.textContent = 'could not send (' + error.message + ')';
    }
  });
  poll();
`,
});
