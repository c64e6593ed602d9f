// The chat room page: long-polls /poll?since=N and POSTs to /msg.
export const chatPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>http-kit long-polling chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #log { border: 1px solid #ccc; height: 22rem; overflow-y: auto; padding: .5rem; background: #fafafa; }
  #log p { margin: .2rem 0; }
  #log b { color: #245; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  #text { flex: 1; }
  #status { color: #777; font-size: 13px; }
</style>
</head>
<body>
<h1>Long-polling chat</h1>
<p id="status">connecting…</p>
<div id="log"></div>
<form id="form">
  <input id="name" placeholder="name" size="10">
  <input id="text" placeholder="say something" autocomplete="off" autofocus>
  <button>Send</button>
</form>
<script>
  const log = document.getElementById('log');
  const status = document.getElementById('status');
  let since = 0;
  function show(messages) {
    for (const m of messages) {
      since = Math.max(since, m.id);
      const p = document.createElement('p');
      const who = document.createElement('b');
      who.textContent = m.name + ': ';
      p.append(who, document.createTextNode(m.text));
      log.append(p);
    }
    log.scrollTop = log.scrollHeight;
  }
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  async function poll() {
    for (;;) {
      try {
        const request = fetch('/poll?since=' + since, { cache: 'no-store' });
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
    const body = new URLSearchParams({ name: document.getElementById('name').value, text: text.value });
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
</script>
</body>
</html>
`;
