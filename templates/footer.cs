</main>
</div>
<footer class="foot"><?cs
  if:Layout.ip ?>
  <span>Connector address <strong><?cs var:Layout.ip ?></strong></span><?cs /if ?><?cs
  if:Layout.fingerprint ?>
  <span>Certificate SHA-256 <code class="fp"><?cs var:Layout.fingerprint ?></code></span><?cs /if ?>
</footer>
</body>
</html>
