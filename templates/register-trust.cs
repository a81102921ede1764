<?cs include:"header.cs" ?>
<?cs include:"register-steps.cs" ?>
<section class="panel">
  <h2>1b. vCenter certificate</h2>
  <p class="lead">This is the certificate that <strong><?cs var:Page.form.host ?></strong> presented.
  Compare its thumbprint with the one vCenter shows (in the vSphere client, or on the
  vCenter appliance console) before you trust it. The connector will accept only this
  certificate from vCenter from now on.</p><?cs
  call:form_notice() ?><?cs
  if:Page.changed ?>
  <div class="notice warning" role="alert">
    <img src="/static/state-warning.svg" alt="" width="20" height="20">
    <div><strong>The certificate has changed.</strong> The one trusted before had the thumbprint
    <code class="fp"><?cs var:Page.changed ?></code>. Trust the new one only if vCenter's
    certificate was replaced on purpose.</div>
  </div><?cs /if ?>
  <dl class="facts">
    <dt>Subject</dt><dd><?cs var:Page.form.subject ?></dd>
    <dt>Issuer</dt><dd><?cs var:Page.form.issuer ?></dd>
    <dt>Valid from</dt><dd><?cs var:Page.form.not_before ?><?cs
      if:Page.not_yet ?> <span class="state warning"><img src="/static/state-warning.svg" alt="" width="16" height="16">Warning — not valid yet</span><?cs /if ?></dd>
    <dt>Valid until</dt><dd><?cs var:Page.form.not_after ?><?cs
      if:Page.expired ?> <span class="state warning"><img src="/static/state-warning.svg" alt="" width="16" height="16">Warning — expired</span><?cs /if ?></dd>
    <dt>SHA-256 thumbprint</dt><dd><code class="fp" id="thumbprint"><?cs var:Page.form.thumbprint ?></code></dd>
  </dl>
  <form method="post" action="/register/trust">
    <input type="hidden" name="csrf" value="<?cs var:Layout.csrf ?>">
    <input type="hidden" name="thumbprint" value="<?cs var:Page.form.thumbprint ?>">
    <div class="actions">
      <button type="submit" class="primary">Trust this certificate</button>
      <a class="button" href="/register/vcenter">Back</a>
    </div>
  </form>
</section>
<?cs include:"register-discard.cs" ?>
<?cs include:"footer.cs" ?>
