<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>2. Network proxy</h2>
  <p class="lead">If the connector reaches AWS through an HTTP proxy, enter it here; the
  connector tests it by reaching AWS through it. If it reaches AWS directly, choose
  <strong>No proxy</strong>. vCenter is always reached directly.</p><?cs
  call:form_notice() ?>
  <form method="post" action="/register/proxy">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="field<?cs if:Errors.proxy_host ?> invalid<?cs /if ?>">
      <label for="proxy_host">Proxy host</label>
      <input id="proxy_host" name="proxy_host" value="<?cs var:Page.form.proxy_host ?>"
        maxlength="253" autocomplete="off" spellcheck="false"<?cs
        call:focus_on_error("proxy_host") ?><?cs
        if:Errors.proxy_host ?> aria-describedby="proxy_host-error"<?cs /if ?>><?cs
      call:field_error("proxy_host", "proxy_host") ?>
      <p class="help">A host name or IPv4 address, without <code>http://</code>.</p>
    </div>
    <div class="field<?cs if:Errors.proxy_port ?> invalid<?cs /if ?>">
      <label for="proxy_port">Proxy port</label>
      <input id="proxy_port" name="proxy_port" value="<?cs var:Page.form.proxy_port ?>"
        maxlength="5" inputmode="numeric" autocomplete="off" class="short"<?cs
        call:focus_on_error("proxy_port") ?><?cs
        if:Errors.proxy_port ?> aria-describedby="proxy_port-error"<?cs /if ?>><?cs
      call:field_error("proxy_port", "proxy_port") ?>
    </div>
    <div class="field<?cs if:Errors.proxy_user ?> invalid<?cs /if ?>">
      <label for="proxy_user">User name (optional)</label>
      <input id="proxy_user" name="proxy_user" value="<?cs var:Page.form.proxy_user ?>"
        maxlength="64" autocomplete="off" spellcheck="false"<?cs
        call:focus_on_error("proxy_user") ?><?cs
        if:Errors.proxy_user ?> aria-describedby="proxy_user-error"<?cs /if ?>><?cs
      call:field_error("proxy_user", "proxy_user") ?>
      <p class="help">Basic authentication only.</p>
    </div>
    <div class="field<?cs if:Errors.proxy_password ?> invalid<?cs /if ?>">
      <label for="proxy_password">Password (optional)</label>
      <input id="proxy_password" type="password" name="proxy_password" maxlength="256"
        autocomplete="off"<?cs call:focus_on_error("proxy_password") ?><?cs if:Errors.proxy_password ?> aria-describedby="proxy_password-error"<?cs /if ?>><?cs
      call:field_error("proxy_password", "proxy_password") ?><?cs
      if:Page.stored_password ?>
      <p class="help">A password is stored. Leave this empty to keep it.</p><?cs /if ?>
    </div>
    <div class="field<?cs if:Errors.no_proxy ?> invalid<?cs /if ?>">
      <label for="no_proxy">Reach these directly (optional)</label>
      <input id="no_proxy" name="no_proxy" value="<?cs var:Page.form.no_proxy ?>"
        maxlength="1024" autocomplete="off" spellcheck="false"<?cs
        call:focus_on_error("no_proxy") ?><?cs
        if:Errors.no_proxy ?> aria-describedby="no_proxy-error"<?cs /if ?>><?cs
      call:field_error("no_proxy", "no_proxy") ?>
      <p class="help">Host names, IPv4 addresses or <code>.example.com</code> domains, separated by commas.</p>
    </div>
    <div class="actions">
      <button type="submit" class="primary" name="action" value="save">Test the proxy and continue</button>
      <button type="submit" class="secondary" name="action" value="none" formnovalidate>No proxy</button>
      <a class="button" href="/register/credentials">Back</a>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
