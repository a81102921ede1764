<?cs include:"header.cs" ?>
<?cs include:"macros.cs" ?>
<h1>Settings</h1>
<section class="panel" id="federation">
  <h2>Federation</h2>
  <p class="lead">How users of the AWS Management Portal for vCenter sign in to AWS: with their
  vCenter user name and password, checked by the connector, or through your identity provider
  with SAML.</p><?cs
  if:Page.fed.mode == "connector" && !Page.fed.registered ?>
  <div class="notice warning" role="status">
    <img src="/static/state-warning.svg" alt="Warning:" width="20" height="20">
    <div>The connector is not registered: its authentication proxy refuses every request until
    it is. <a href="/register">Register the connector</a>.</div>
  </div><?cs /if ?><?cs
  if:Errors.federation || Errors.role_arn || Errors.session_policy || Errors.duration ?><?cs
    call:form_notice() ?><?cs /if ?>
  <form method="post" action="/settings/federation">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <fieldset class="field choices<?cs if:Errors.federation ?> invalid<?cs /if ?>"<?cs
      if:Errors.federation ?> aria-describedby="federation-error"<?cs /if ?>>
      <legend>Portal users sign in</legend>
      <div class="choice">
        <input type="radio" id="federation-connector" name="federation" value="connector"<?cs
          if:Page.fed.mode != "saml" ?> checked<?cs /if ?>>
        <label for="federation-connector">Through the connector (Authentication Proxy)</label>
        <p class="help">The portal sends the user's vCenter name and password to
        <code><?cs var:Page.fed.url ?>authproxy/token</code>, signed with the AMP-connector key.
        The connector signs in to vCenter as the user, checks that the user is one it found in
        vCenter's directory, and answers temporary credentials of the role below. After
        <?cs var:Page.fed.user_failures ?> wrong passwords within <?cs var:Page.fed.window ?>
        minutes it stops asking vCenter for that user for a while.</p>
      </div>
      <div class="choice">
        <input type="radio" id="federation-saml" name="federation" value="saml"<?cs
          if:Page.fed.mode == "saml" ?> checked<?cs /if ?>>
        <label for="federation-saml">SAML</label>
        <p class="help">Users sign in through your identity provider. The connector's
        authentication proxy is off and refuses every request.</p>
      </div><?cs
      call:field_error("federation", "federation") ?>
    </fieldset>
    <div class="field<?cs if:Errors.role_arn ?> invalid<?cs /if ?>">
      <label for="role_arn">IAM role</label>
      <input id="role_arn" name="role_arn" maxlength="2048" autocomplete="off" spellcheck="false"
        value="<?cs var:Page.fed.role ?>"<?cs call:focus_on_error("role_arn") ?><?cs
        if:Errors.role_arn ?> aria-describedby="role_arn-error"<?cs /if ?>><?cs
      call:field_error("role_arn", "role_arn") ?>
      <p class="help">The ARN of the role portal users get, such as
      <code>arn:aws:iam::123456789012:role/PortalUsers</code>. Its trust policy must let the
      connector's AWS user assume it. Needed only through the connector.</p>
    </div>
    <div class="field<?cs if:Errors.session_policy ?> invalid<?cs /if ?>">
      <label for="session_policy">Session policy (optional)</label>
      <textarea id="session_policy" name="session_policy" rows="8" spellcheck="false"<?cs
        call:focus_on_error("session_policy") ?><?cs
        if:Errors.session_policy ?> aria-describedby="session_policy-error"<?cs /if ?>><?cs
        var:Page.fed.policy ?></textarea><?cs
      call:field_error("session_policy", "session_policy") ?>
      <p class="help">An IAM policy document (JSON) that narrows what the role allows for
      portal sessions; at most 2048 characters once written without spaces. Empty: the
      role's own permissions.</p>
    </div>
    <div class="field<?cs if:Errors.duration ?> invalid<?cs /if ?>">
      <label for="duration">Credentials last at most (seconds)</label>
      <input id="duration" name="duration" maxlength="5" inputmode="numeric" class="short"
        autocomplete="off" value="<?cs var:Page.fed.duration ?>"<?cs
        call:focus_on_error("duration") ?><?cs
        if:Errors.duration ?> aria-describedby="duration-error"<?cs /if ?>><?cs
      call:field_error("duration", "duration") ?>
      <p class="help">900 (15 minutes) to 43200 (12 hours), and no longer than the role's
      maximum session duration in IAM (1 hour unless it was changed there).</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary">Save federation settings</button>
    </div>
  </form>
</section>
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
  if:Errors.token_name ?><?cs call:form_notice() ?><?cs /if ?>
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
