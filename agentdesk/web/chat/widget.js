// Embeddable launcher: <script src="https://HOST/chat/widget.js" async></script>
// adds a button that opens the chat widget of HOST in a frame. The host
// must list the embedding site in the gateway's AllowedOrigins.
(function () {
  'use strict';
  var me = document.currentScript;
  var base = new URL(me ? me.src : '/chat/widget.js', location.href).origin;
  var open = false;
  var btn = document.createElement('button');
  btn.type = 'button';
  btn.textContent = (navigator.language || '').indexOf('en') === 0 ? 'Chat with us' : '在线客服';
  btn.setAttribute('aria-label', btn.textContent);
  btn.style.cssText = 'position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 18px;border:0;border-radius:24px;background:#0b63c5;color:#fff;font:600 15px system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.25);cursor:pointer';
  var frame = document.createElement('iframe');
  frame.title = btn.textContent;
  frame.style.cssText = 'position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(380px,calc(100vw - 40px));height:min(600px,calc(100vh - 100px));border:1px solid #dde2ea;border-radius:10px;box-shadow:0 4px 16px rgba(0,0,0,.2);background:#fff;display:none';
  btn.addEventListener('click', function () {
    if (!frame.src) frame.src = base + '/chat/';
    open = !open;
    frame.style.display = open ? 'block' : 'none';
  });
  function mount() { document.body.appendChild(frame); document.body.appendChild(btn); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
