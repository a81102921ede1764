<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Settings</h1>
<section class="panel" id="tokens">
  <h2>API tokens</h2>
  <p class="lead">Monitoring reads the connector's state with a token, without signing in:
  <code>GET /api/status</code> (JSON) and <code>GET /metrics</code> (Prometheus), with the
  header <code>Authorization: Bearer <em>token</em></code>. A token can only read; it never
  opens a page or changes anything.</p><?cs
  if:Page.new_token ?>
  <div class="field">
    <label for="new-token">New token</label>
    <input id="new-token" class="token" readonly value="<?cs var:Page.new_token ?>"
      autocomplete="off" spellcheck="false">
    <p class="help">Copy it into your monitoring now. The connector keeps only a hash
    of it: when this page is left or reloaded, the token cannot be shown again.</p>
  </div><?cs /if ?><?cs
  if:Page.count > 0 ?>
  <table class="list">
    <thead><tr><th>Name</th><th>Created</th><th>Last used</th><th></th></tr></thead>
    <tbody><?cs each:t = Page.tokens ?>
      <tr><td><?cs var:t.name ?></td><td><?cs var:t.created ?></td>
      <td><?cs alt:t.used ?>Never<?cs /alt ?></td>
      <td><a class="button" href="/settings/tokens/revoke?token=<?cs var:t.id ?>">Revoke</a></td></tr><?cs
    /each ?>
    </tbody>
  </table><?cs
  else ?>
  <p class="detail">No tokens yet.</p><?cs /if ?><?cs
  call:form_notice() ?>
  <form method="post" action="/settings/tokens">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.token_name ?> invalid<?cs /if ?>">
      <label for="token_name">Name of a new token</label>
      <input id="token_name" name="token_name" maxlength="64" autocomplete="off"
        value="<?cs var:Page.form.token_name ?>"<?cs call:focus_on_error("token_name") ?><?cs
        if:Errors.token_name ?> aria-describedby="token_name-error"<?cs /if ?>><?cs
      call:field_error("token_name", "token_name") ?>
      <p class="help">What will use it, such as "monitoring". At most <?cs var:Page.max ?> tokens.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Create token</button>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
