// The chat room page both chats share: layout, style, form and how a message is shown (times, this
// tab's own messages set apart); each chat adds only how it talks to the server.

/** A chat page titled `title`, headed `heading`, whose `transport` script defines how it sends and receives. */
export function chatLayout({ title, heading, transport }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 1rem auto; padding: 0 .75rem; }
  h1 { font-size: 1.4rem; margin: .3rem 0; }
  a { color: #0b5cad; }
  .back { font-size: 14px; margin: 0; }
  .hint { color: #555; font-size: 14px; margin: .2rem 0; }
  #log { border: 1px solid #ccc; height: min(22rem, 60vh); overflow-y: auto; padding: .5rem; background: #fafafa; }
  #log p { margin: .25rem 0; padding: .2rem .4rem; border-radius: 6px; overflow-wrap: anywhere; }
  #log p.mine { background: #dcf0ff; margin-left: 2rem; }
  #log b { color: #245; }
  #log time { color: #999; font-size: 12px; margin-right: .4rem; }
  #log p.mine b { color: #0b5cad; }
  form { display: flex; gap: .5rem; margin-top: .5rem; }
  input, button { font-size: 16px; min-width: 0; }
  #name { width: 6rem; }
  #text { flex: 1; }
  #status { color: #777; font-size: 13px; }
</style>
</head>
<body>
<p class="back"><a href="/">← all demos</a></p>
<h1>${heading}</h1>
<p class="hint">Open this page in a second tab (or on another device): a message sent in one shows up in every tab at once.</p>
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
  // The highest message id shown (the long-polling chat asks for what came after it).
  let lastId = 0;
  // This tab's id, sent with each message, so the page can set its own messages apart.
  const me = sessionStorage.getItem('chat-id') || Math.random().toString(36).slice(2);
  sessionStorage.setItem('chat-id', me);
  function show(messages) {
    for (const m of messages) {
      lastId = Math.max(lastId, m.id);
      const p = document.createElement('p');
      if (m.from === me) p.className = 'mine';
      const time = document.createElement('time');
      time.dateTime = new Date(m.at).toISOString();
      time.textContent = new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      const who = document.createElement('b');
      who.textContent = m.name + ': ';
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = m.text;
      p.append(time, who, text);
      log.append(p);
    }
    log.scrollTop = log.scrollHeight;
  }
${transport}</script>
</body>
</html>
`;
}
