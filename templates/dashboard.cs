<?cs include:"header.cs" ?>
<h1>Dashboard</h1>
<section class="panel">
  <h2>Connector</h2>
  <dl class="facts">
    <dt>Name</dt><dd class="name"><?cs var:Page.name ?></dd>
    <dt>IP address</dt><dd><?cs var:Page.ip ?></dd>
    <dt>Version</dt><dd><?cs var:Page.version ?></dd>
  </dl>
</section><?cs
if:Page.reg.test_mode ?>
<div class="notice warning" role="status">
  <img src="/static/state-warning.svg" alt="" width="20" height="20">
  <div><strong>Test mode.</strong> This instance may register with a vCenter and a portal on
  loopback addresses (<code>connector-setup init --allow-loopback-peers</code>).</div>
</div><?cs /if ?>
<section class="panel" id="registration">
  <h2>Registration</h2><?cs
  if:Page.reg.registered ?>
  <p class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16">OK — registered with vCenter <?cs var:Page.reg.vcenter ?> and AWS <?cs var:Page.reg.region ?> (account <?cs var:Page.reg.account ?>)</p>
  <dl class="facts">
    <dt>Registered</dt><dd><?cs var:Page.reg.at ?> from <?cs var:Page.reg.ip ?></dd>
    <dt>Network proxy</dt><dd><?cs alt:Page.reg.proxy ?>None<?cs /alt ?></dd>
    <dt>Connector Registered IP Is Current</dt><dd><?cs
      if:Page.reg.ip_current ?><span class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16">OK</span><?cs
      else ?><span class="state warning"><img src="/static/state-warning.svg" alt="" width="16" height="16">Warning — the connector's address is now <?cs var:Page.ip ?>; register again to update vCenter and the portal.</span><?cs /if ?></dd>
  </dl>
  <p class="links"><a class="button" href="/register">Update the registration</a>
  <a class="button" href="/unregister">Unregister the Connector</a>
  <a class="button" href="/keys">Rotate encryption key</a></p><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not registered</p>
  <p class="detail">Register this connector with vCenter and AWS to start migrations.</p>
  <p class="links"><a class="button primary-link" href="/register"><?cs
    if:Page.reg.draft ?>Continue the registration<?cs else ?>Register the Connector<?cs /if ?></a></p><?cs
  /if ?>
</section>
<section class="panel">
  <h2>Connector Dashboard Login</h2><?cs
  if:Page.login.failed == 0 ?>
  <p class="state ok"><img src="/static/state-ok.svg" alt="" width="16" height="16">OK — no failed sign-ins since the last successful one.</p><?cs
  else ?>
  <p class="state warning"><img src="/static/state-warning.svg" alt="" width="16" height="16">Warning — <?cs
    var:Page.login.failed ?> failed sign-in<?cs if:Page.login.failed != 1 ?>s<?cs /if ?>
    since the last successful one; the console locks after <?cs var:Page.login.limit ?>.</p><?cs /if ?><?cs
  if:subcount(Page.login.sources) > 0 ?>
  <table class="list">
    <caption>Recent sources of failed sign-ins</caption>
    <thead><tr><th scope="col">Address</th><th scope="col">Failed sign-ins</th><th scope="col">Last failure</th></tr></thead>
    <tbody><?cs each:s = Page.login.sources ?>
      <tr><td><?cs var:s.addr ?></td><td class="num"><?cs var:s.total ?></td><td><?cs var:s.when ?></td></tr><?cs /each ?>
    </tbody>
  </table><?cs /if ?>
</section>
<?cs include:"footer.cs" ?>
