<?cs include:"macros.cs" ?>
<h1><?cs if:Page.registered ?>Update the registration<?cs else ?>Register the connector<?cs /if ?></h1>
<ol class="steps" aria-label="Registration steps"><?cs
each:s = Page.steps ?>
  <li class="<?cs var:s.state ?>"<?cs if:s.state == "current" ?> aria-current="step"<?cs /if ?>><?cs
    if:s.href && s.state != "current" ?><a href="<?cs var:s.href ?>"><?cs /if ?><span class="num"><?cs
    if:s.state == "done" ?>&#10003;<?cs else ?><?cs var:s.number ?><?cs /if ?></span> <?cs var:s.label ?><?cs
    if:s.state == "done" ?><span class="visually-hidden"> (done)</span><?cs /if ?><?cs
    if:s.href && s.state != "current" ?></a><?cs /if ?></li><?cs
/each ?>
</ol>
