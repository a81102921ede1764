<?cs include:"header.cs" ?>
<h1>Dashboard</h1>
<section class="panel">
  <h2>Connector</h2>
  <dl class="facts">
    <dt>Name</dt><dd class="name"><?cs var:Page.name ?></dd>
    <dt>IP address</dt><dd><?cs var:Page.ip ?></dd>
    <dt>Version</dt><dd><?cs var:Page.version ?></dd>
    <dt>Registration</dt>
    <dd><span class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not registered</span>
      <span class="detail">Register this connector with vCenter and AWS to start migrations.</span></dd>
  </dl>
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
