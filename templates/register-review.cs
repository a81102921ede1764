<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>5. Review and register</h2>
  <p class="lead"><?cs if:Page.registered ?>Registering again updates the vSphere client plugin
  and the portal with what is shown here, for example a new IP address or proxy.<?cs
  else ?>Registering adds the connector's plugin to vCenter and registers the connector
  with the management portal.<?cs /if ?></p><?cs
  call:form_notice() ?>
  <dl class="facts">
    <dt>vCenter</dt><dd><?cs var:Page.form.vc_host ?><?cs if:Page.form.vc_port != "443" ?>:<?cs var:Page.form.vc_port ?><?cs /if ?>
      <a class="edit" href="/register/vcenter">Change<span class="visually-hidden"> the vCenter</span></a></dd>
    <dt>Trusted certificate</dt><dd><?cs var:Page.form.vc_subject ?><span class="detail fp"><?cs var:Page.form.vc_thumbprint ?></span></dd>
    <dt>Service account</dt><dd><?cs var:Page.form.vc_user ?> <span class="muted">(password stored)</span>
      <a class="edit" href="/register/credentials">Change<span class="visually-hidden"> the service account</span></a></dd>
    <dt>Proxy</dt><dd><?cs if:Page.form.proxy_host ?><?cs var:Page.form.proxy_host ?>:<?cs var:Page.form.proxy_port ?><?cs
      if:Page.form.proxy_user ?> as <?cs var:Page.form.proxy_user ?><?cs /if ?><?cs
      /if ?><?cs if:!Page.form.proxy_host ?>None<?cs /if ?>
      <a class="edit" href="/register/proxy">Change<span class="visually-hidden"> the proxy</span></a><?cs
      if:Page.form.proxy_host && Page.form.no_proxy ?><span class="detail">Direct: <?cs var:Page.form.no_proxy ?></span><?cs /if ?></dd>
    <dt>AWS</dt><dd><?cs var:Page.form.region ?>, key <code><?cs var:Page.form.access_key_id ?></code>
      <a class="edit" href="/register/aws">Change<span class="visually-hidden"> the AWS keys</span></a>
      <span class="detail">Account <?cs var:Page.form.account ?> · <?cs var:Page.form.arn ?></span></dd>
    <dt>Portal key</dt><dd><?cs var:Page.form.key_name ?> (<code><?cs var:Page.form.key_id ?></code>)
      <a class="edit" href="/register/portal">Change<span class="visually-hidden"> the portal key</span></a>
      <span class="detail"><?cs var:Page.form.endpoint ?></span></dd>
    <dt>Console address registered</dt><dd><code><?cs var:Page.console_url ?></code></dd>
  </dl>
  <form method="post" action="/register/review">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <div class="actions">
      <button type="submit" class="primary" name="action" value="register"><?cs
        if:Page.registered ?>Update the registration<?cs else ?>Register<?cs /if ?></button>
      <button type="submit" class="secondary" name="action" value="discard">Discard these changes</button>
    </div>
  </form>
</section>
<?cs include:"footer.cs" ?>
