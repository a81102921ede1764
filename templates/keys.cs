<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Keys</h1>
<section class="panel" id="encryption">
  <h2>Connector encryption key</h2>
  <p class="lead">Encrypts the credentials the connector keeps (vCenter, AWS, proxy and
  portal). It never leaves the connector.</p>
  <dl class="facts">
    <dt>Key in use</dt><dd><?cs if:Page.enc.id ?><code><?cs var:Page.enc.id ?></code><?cs else ?>None yet<?cs /if ?></dd>
    <dt>Created</dt><dd><?cs alt:Page.enc.created ?>—<?cs /alt ?></dd>
    <dt>Credentials encrypted with it</dt><dd><?cs var:Page.enc.secrets ?></dd>
  </dl>
  <form method="post" action="/keys/encryption">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <h3>Rotate encryption key</h3>
    <p>A new key is made, every credential is re-encrypted with it, then the old key is
    deleted. If anything fails the old key stays in use.</p>
    <div class="field<?cs if:Errors.password ?> invalid<?cs /if ?>">
      <label for="password">Connector password</label>
      <input id="password" type="password" name="password" autocomplete="current-password"
        maxlength="1024" required<?cs call:focus_on_error("password") ?><?cs if:Errors.password ?> aria-describedby="password-error"<?cs /if ?>><?cs
      call:field_error("password", "password") ?>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Rotate</button>
    </div>
  </form>
</section>
<section class="panel" id="amp">
  <h2>AMP-connector key</h2><?cs
  call:form_error_notice("Not changed.") ?>
  <p class="lead">Shared with the management portal; it establishes trust between the
  portal and this connector. Create a new key in the portal's setup (AMP-Connector Key,
  Edit, Create a new AMP-Connector key, Download Configuration), then upload the file here.</p><?cs
  if:Page.registered ?>
  <dl class="facts">
    <dt>Key in use</dt><dd><?cs var:Page.amp.name ?> (<code><?cs var:Page.amp.id ?></code>)</dd>
    <dt>Portal</dt><dd><code><?cs var:Page.amp.endpoint ?></code></dd>
  </dl>
  <form method="post" action="/keys/amp" enctype="multipart/form-data">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <h3>Rotate AMP-connector key</h3>
    <div class="field<?cs if:Errors.portal_config ?> invalid<?cs /if ?>">
      <label for="portal_config">New configuration file</label>
      <input id="portal_config" type="file" name="portal_config" accept=".json,application/json"<?cs
        call:focus_on_error("portal_config") ?><?cs
        if:Errors.portal_config ?> aria-describedby="portal_config-error"<?cs /if ?>><?cs
      call:field_error("portal_config", "portal_config") ?>
      <p class="help">The current key stays in use until the portal accepts the new one.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Rotate</button>
    </div>
  </form><?cs
  else ?>
  <p class="state unknown"><img src="/static/state-unknown.svg" alt="" width="16" height="16">Not applicable — the connector is not registered. <a href="/register">Register the connector</a></p><?cs
  /if ?>
</section>
<?cs include:"footer.cs" ?>
